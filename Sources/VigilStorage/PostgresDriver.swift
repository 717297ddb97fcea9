import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit
import VigilCore

/// PostgreSQL through postgres-nio's connection pool. The pool works only while ``run()`` runs (the
/// server runs it as a `Service`).
public final class PostgresDriver: DatabaseDriver {
    public let engine = SQLEngine.postgres
    public let client: PostgresClient
    private let quietLogger: Logger

    public init(url: String, maxConnections: Int = 20, logger: Logger) throws {
        var configuration = try Self.configuration(url: url)
        configuration.options.maximumConnections = maxConnections
        // postgres-nio traces statements at debug level; keep the pool's own logs at info and above so a
        // debug log level never writes query text next to health data.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .info)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: poolLogger)
        self.quietLogger = poolLogger
    }

    /// Runs the pool until the task is cancelled.
    public func run() async {
        await client.run()
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await Self.translatingConnectionErrors {
            try await leased { connection in
                try await body(connection.sql(queryLogLevel: nil))
            }
        }
    }

    /// How long a request waits for a pooled connection before answering `503`: with the database
    /// gone, the pool would otherwise keep every request waiting while it retries.
    public let leaseTimeout = Duration.seconds(5)

    /// Runs `body` on a pooled connection; gives up with `database_unavailable` if none is leased in time
    /// (a statement that has started is never cut short).
    func leased<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withoutActuallyEscaping(body) { body in
            let acquired = NIOLockedValueBox(false)
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await self.client.withConnection { connection in
                        acquired.withLockedValue { $0 = true }
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: self.leaseTimeout)
                    return nil
                }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let value = result { return value }
                    if !acquired.withLockedValue({ $0 }) {
                        throw VigilError(.unavailable, code: "database_unavailable", message: "the database is unavailable; try again")
                    }
                }
                throw CancellationError()
            }
        }
    }

    /// Losing the database is a `503` for the client (retry later), not a `500`.
    static func translatingConnectionErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError
            where [.connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown].contains(error.code)
        {
            throw VigilError(.unavailable, code: "database_unavailable", message: "the database is unavailable; try again")
        }
    }

    public func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await Self.translatingConnectionErrors { try await writeTransaction(body) }
    }

    private func writeTransaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await leased { connection in
            let db = connection.sql(queryLogLevel: nil)
            try await db.raw("BEGIN").run()
            do {
                let transaction = PostgresTransaction(connection: connection, logger: quietLogger)
                let result = try await WriteTransaction.$current.withValue(transaction) { try await body(db) }
                try await db.raw("COMMIT").run()
                return result
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    public func close() async throws {}

    public func rows(_ sql: String, _ binds: [FastBind]) async throws -> [[FastValue]] {
        try await rows(sql, binds) { $0 }
    }

    public func rows<T: Sendable>(
        _ sql: String, _ binds: [FastBind], transform: @escaping @Sendable ([FastValue]) throws -> T
    ) async throws -> [T] {
        let query = Self.query(sql, binds)
        return try await Self.translatingConnectionErrors {
            try await leased { connection in try await Self.rows(query, on: connection, logger: quietLogger, transform: transform) }
        }
    }

    /// A hand-written statement: `?` placeholders become `$1`, `$2`, … (the statements have no `?` literals).
    static func query(_ sql: String, _ binds: [FastBind]) -> PostgresQuery {
        var text = [UInt8]()
        text.reserveCapacity(sql.utf8.count + 4 * binds.count)
        var number = 0
        for byte in sql.utf8 {
            if byte == UInt8(ascii: "?") {
                number += 1
                text.append(UInt8(ascii: "$"))
                text += String(number).utf8
            } else {
                text.append(byte)
            }
        }
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case .text(let value): bindings.append(value)
            case .integer(let value): bindings.append(value)
            case .double(let value): bindings.append(value)
            case .null: bindings.appendNull()
            }
        }
        return PostgresQuery(unsafeSQL: String(decoding: text, as: UTF8.self), binds: bindings)
    }

    static func rows<T>(
        _ query: PostgresQuery, on connection: PostgresConnection, logger: Logger, transform: ([FastValue]) throws -> T
    ) async throws -> [T] {
        var rows = [T]()
        for try await row in try await connection.query(query, logger: logger) {
            rows.append(
                try transform(
                    row.map { cell -> FastValue in
                        guard cell.bytes != nil else { return .null }
                        switch cell.dataType {
                        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
                        case .float4, .float8: return .double(try cell.decode(Double.self))
                        default: return .text(try cell.decode(String.self))
                        }
                    })
            )
        }
        return rows
    }

    /// `postgres://user:password@host:port/database?sslmode=disable|prefer|require` (libpq's default: prefer).
    static func configuration(url text: String) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
            let host = url.host, !host.isEmpty
        else {
            throw StorageError.invalidDatabaseURL("expected postgres://user:password@host:port/database")
        }
        let tls: PostgresClient.Configuration.TLS
        switch url.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer" {
        case "disable": tls = .disable
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        return PostgresClient.Configuration(
            host: host,
            port: url.port ?? 5432,
            username: url.user.flatMap { $0.removingPercentEncoding } ?? "postgres",
            password: url.password.flatMap { $0.removingPercentEncoding },
            database: database.isEmpty ? nil : database,
            tls: tls
        )
    }
}

/// The leased connection inside its write transaction (only reachable from that transaction's task).
struct PostgresTransaction: TransactionConnection {
    let connection: PostgresConnection
    let logger: Logger

    func execute(_ sql: String, _ binds: [FastBind]) async throws -> [[FastValue]] {
        try await PostgresDriver.rows(PostgresDriver.query(sql, binds), on: connection, logger: logger) { $0 }
    }
}

public enum StorageError: Error, CustomStringConvertible, Sendable {
    case invalidDatabaseURL(String)
    case migrationFailed(String)
    case corruptRow(String)
    /// A failure reported by SQLite's C API on a connection Vigil drives directly.
    case sqlite(String)
    /// A hand-written write statement run outside ``DatabaseDriver/write(_:)`` (a programming error).
    case outsideTransaction

    public var description: String {
        switch self {
        case .invalidDatabaseURL(let reason): "invalid database URL: \(reason)"
        case .migrationFailed(let reason): "migration failed: \(reason)"
        case .corruptRow(let reason): "unexpected data in the database: \(reason)"
        case .sqlite(let reason): "SQLite: \(reason)"
        case .outsideTransaction: "a write statement ran outside a write transaction"
        }
    }
}
