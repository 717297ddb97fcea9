import Foundation
import Logging
import Testing
import VigilServer

@Suite("Configuration")
struct ConfigTests {
    @Test("no configuration: 127.0.0.1:8080, SQLite in ./vigil-data, development mode")
    func defaults() throws {
        let config = try VigilConfig.load(environment: [:])
        #expect(config.host == "127.0.0.1" && config.port == 8080)
        #expect(config.mode == .development)
        #expect(config.resolvedDatabaseURL.hasPrefix("sqlite:") && config.resolvedDatabaseURL.hasSuffix("vigil-data/vigil.sqlite"))
        #expect(config.auth.bcryptCost == 12 && config.sqliteSynchronous == "FULL")
    }

    @Test("flags win over environment variables")
    func overrides() throws {
        let config = try VigilConfig.load(
            environment: ["VIGIL_HOST": "0.0.0.0", "VIGIL_PORT": "9000", "VIGIL_DATABASE_URL": "sqlite:/tmp/a.sqlite"],
            overrides: .init(port: 9100, databaseURL: "postgres://u@h/db")
        )
        #expect(config.host == "0.0.0.0" && config.port == 9100 && config.resolvedDatabaseURL == "postgres://u@h/db")
    }

    @Test("stream and audit settings come from their environment variables")
    func streamSettings() throws {
        let config = try VigilConfig.load(environment: [
            "VIGIL_STREAM_HEARTBEAT": "5", "VIGIL_STREAM_ACCESS_RECHECK": "7", "VIGIL_AUDIT_REJECTED_PER_MINUTE": "3",
            "VIGIL_STREAM_RETENTION_DAYS": "2",
        ])
        #expect(config.stream.heartbeatInterval == 5_000_000)
        #expect(config.stream.accessRecheckInterval == 7_000_000)
        #expect(config.auditRejectedPerMinute == 3)
        #expect(config.stream.eventRetention == 2 * 86_400_000_000)
    }

    @Test("stream connection and session limits come from their environment variables")
    func streamLimits() throws {
        let config = try VigilConfig.load(environment: [
            "VIGIL_STREAM_MAX_CONNECTIONS_PER_USER": "3", "VIGIL_STREAM_MAX_CONNECTIONS_PER_ADDRESS": "4",
            "VIGIL_STREAM_MAX_UNAUTHENTICATED": "5", "VIGIL_STREAM_MAX_UNAUTHENTICATED_PER_ADDRESS": "2",
            "VIGIL_STREAM_MAX_SESSIONS_PER_USER": "6", "VIGIL_STREAM_MAX_SESSIONS_PER_SUBJECT": "7",
            "VIGIL_STREAM_SESSION_HISTORY_BYTES": "100000",
        ])
        #expect(config.stream.maxSessionsPerUser == 6)
        #expect(config.stream.maxSessionsPerSubject == 7)
        #expect(config.stream.maxHistoryBytesPerSession == 100_000)
        #expect(config.stream.maxConnectionsPerUser == 3)
        #expect(config.stream.maxConnectionsPerAddress == 4)
        #expect(config.stream.maxUnauthenticatedConnections == 5)
        #expect(config.stream.maxUnauthenticatedConnectionsPerAddress == 2)
        #expect(throws: VigilConfig.Invalid.self) { try VigilConfig.load(environment: ["VIGIL_STREAM_MAX_CONNECTIONS_PER_USER": "0"]) }
    }

    @Test(
        "every bad value is refused with a message naming it",
        arguments: [
            (["VIGIL_STREAM_HEARTBEAT": "0"], "VIGIL_STREAM_HEARTBEAT"),
            (["VIGIL_STREAM_RETENTION_DAYS": "0"], "VIGIL_STREAM_RETENTION_DAYS"),
            (["VIGIL_PORT": "99999"], "VIGIL_PORT"),
            (["VIGIL_ENV": "staging"], "VIGIL_ENV"),
            (["VIGIL_DATABASE_URL": "mysql://x"], "database URL"),
            (["VIGIL_JWT_SECRET": "too short"], "VIGIL_JWT_SECRET"),
            (["VIGIL_BCRYPT_COST": "3"], "VIGIL_BCRYPT_COST"),
            (["VIGIL_SQLITE_SYNCHRONOUS": "OFF"], "VIGIL_SQLITE_SYNCHRONOUS"),
            (["VIGIL_ENV": "production"], "signing key"),
            (
                ["VIGIL_ENV": "production", "VIGIL_JWT_SECRET": String(repeating: "k", count: 32), "VIGIL_BCRYPT_COST": "8"],
                "VIGIL_BCRYPT_COST"
            ),
            (["VIGIL_ENV": "production", "VIGIL_JWT_SECRET": String(repeating: "k", count: 32)], "VIGIL_AUDIT_KEY"),
            (["VIGIL_AUDIT_KEY": "short"], "VIGIL_AUDIT_KEY"),
            (["VIGIL_HTTP_HEAD_TIMEOUT": "0"], "VIGIL_HTTP_HEAD_TIMEOUT"),
            (["VIGIL_LOGIN_FREE_FAILURES_PER_ACCOUNT": "-1"], "VIGIL_LOGIN_FREE_FAILURES_PER_ACCOUNT"),
            (["VIGIL_ANALYSIS_MAX_QUEUED_PER_USER": "1e9"], "VIGIL_ANALYSIS_MAX_QUEUED_PER_USER"),
        ])
    func refusals(environment: [String: String], mentions: String) {
        do {
            _ = try VigilConfig.load(environment: environment)
            Issue.record("accepted \(environment)")
        } catch let error as VigilConfig.Invalid {
            #expect(error.description.contains(mentions), "\(error.description)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("development generates one signing key (mode 0600) and reuses it; production never generates one")
    func developmentKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var config = try VigilConfig.load(environment: ["VIGIL_DATA_DIR": directory.path])
        let first = try SigningKey.resolve(config, logger: Logger(label: "test"))
        let second = try SigningKey.resolve(config, logger: Logger(label: "test"))
        #expect(first == second && first.count >= 32)
        let path = directory.appendingPathComponent(SigningKey.developmentKeyFile).path
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)

        config.mode = .production
        config.dataDirectory = directory.appendingPathComponent("other").path
        #expect(throws: VigilConfig.Invalid.self) { try SigningKey.resolve(config, logger: Logger(label: "test")) }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("other").path))
    }
}
