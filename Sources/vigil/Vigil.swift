import ArgumentParser
import Foundation
import Logging
import VigilCore
import VigilServer
import VigilStorage

@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "A self-hostable health-data server.",
        subcommands: [Serve.self, Migrate.self, Users.self, Import.self, Analyze.self, PAT.self, Audit.self]
    )
}

/// `--database` and `--data-dir`, shared by every command that opens the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Database URL: sqlite:PATH or postgres://user:password@host:port/database (env VIGIL_DATABASE_URL).")
    var database: String?

    @Option(name: .customLong("data-dir"), help: "Data directory for the default SQLite database and development key (env VIGIL_DATA_DIR).")
    var dataDirectory: String?

    func config(host: String? = nil, port: Int? = nil) throws -> VigilConfig {
        do {
            return try VigilConfig.load(
                environment: ProcessInfo.processInfo.environment,
                overrides: .init(host: host, port: port, databaseURL: database, dataDirectory: dataDirectory)
            )
        } catch let invalid as VigilConfig.Invalid {
            throw ValidationError("configuration: \(invalid.description)")
        }
    }

    /// Opens the configured store (creating the data directory for the default SQLite file).
    func openStore(_ config: VigilConfig, logger: Logger) async throws -> VigilStore {
        // Everything Vigil creates (data directory, database, WAL, keys, temporary files) is its owner's only.
        umask(0o077)
        if config.databaseURL == nil {
            try FileManager.default.createDirectory(
                atPath: config.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: config.dataDirectory)
        }
        let auditKey: [UInt8]?
        do {
            auditKey = try AuditKey.resolve(config, logger: logger)
        } catch let invalid as VigilConfig.Invalid {
            throw ValidationError("configuration: \(invalid.description)")
        }
        return try await VigilStore.open(
            url: config.resolvedDatabaseURL, sqliteSynchronous: config.sqliteSynchronous, auditKey: auditKey, logger: logger)
    }
}

enum Logs {
    /// JSON lines: on standard output for the server, on standard error for one-shot commands.
    static func bootstrap(level: Logger.Level, stream: JSONLogHandler.Stream) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label, stream: stream)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "vigil")
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (SQLite in ./vigil-data unless configured).")

    @Option(help: "Address to listen on (env VIGIL_HOST, default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (env VIGIL_PORT, default 8080).") var port: Int?
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let config = try database.config(host: host, port: port)
        let logger = Logs.bootstrap(level: config.logLevel, stream: .standardOutput)
        let signingKey = try SigningKey.resolve(config, logger: logger)
        let analysis: AnalysisRuntime
        do {
            analysis = try AnalysisRuntime.load(config.analysis, logger: logger)
        } catch let invalid as VigilConfig.Invalid {
            throw CommandFailure(description: "configuration: \(invalid.description)")
        }
        let store = try await database.openStore(config, logger: logger)
        logger.info(
            "starting",
            metadata: [
                "mode": .string(config.mode.rawValue), "database": .string(store.description),
                "address": .string("\(config.host):\(config.port)"),
            ]
        )
        let app = try await buildApplication(config: config, store: store, signingKey: signingKey, logger: logger, analysis: analysis)
        try await app.runService()
        logger.info("stopped")
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let config = try database.config()
        let logger = Logs.bootstrap(level: config.logLevel, stream: .standardError)
        let store = try await database.openStore(config, logger: logger)
        let applied = try await store.withRunning { try await store.migrate() }
        print(
            applied.isEmpty
                ? "database is up to date (schema version \(Migrator.latestVersion))"
                : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
    }
}
