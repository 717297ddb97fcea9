import Foundation
import Logging
import ServiceLifecycle
import VigilCore

/// The database a Vigil process uses, chosen by URL: `sqlite:PATH` or `postgres://…`.
/// It is a `Service`: run it in the service group (PostgreSQL's pool needs it running) and it
/// closes its connections on graceful shutdown.
public final class VigilStore: Service {
    public let driver: any DatabaseDriver
    public let samples: SQLSampleRepository
    public let auth: SQLAuthRepository
    public let access: SQLAccessRepository
    public let audit: SQLAuditLog
    public let analyses: SQLAnalysisJobRepository
    public let sampleEvents: SampleEventLog
    /// Session audio between nodes (PostgreSQL `NOTIFY`; nothing to do on SQLite).
    public let sessionAudio: SessionAudioBus
    /// Batches committed by this process (the stream hub listens).
    public let sampleEventSignal = SampleEventSignal()
    /// A redacted form of the URL, safe for logs.
    public let description: String

    /// `auditKey` signs every audit chain head written (see ``AuditHeadSigner``); without it heads are unsigned.
    public static func open(
        url: String, sqliteSynchronous: String = "FULL", auditKey: [UInt8]? = nil, logger: Logger
    ) async throws -> VigilStore {
        let signer = auditKey.map(AuditHeadSigner.init(key:))
        if url.hasPrefix("sqlite:") {
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw StorageError.invalidDatabaseURL("expected sqlite:PATH") }
            let driver = try await SQLiteDriver.open(path: path, synchronous: sqliteSynchronous, logger: logger)
            return VigilStore(
                driver: driver, description: "sqlite:\(path) (synchronous=\(sqliteSynchronous.uppercased()))", signer: signer)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            let driver = try PostgresDriver(url: url, logger: logger)
            var redacted = URLComponents(string: url)
            if redacted?.password != nil { redacted?.password = "***" }
            return VigilStore(driver: driver, description: redacted?.string ?? "postgres", signer: signer)
        }
        throw StorageError.invalidDatabaseURL("expected sqlite:PATH or postgres://user:password@host:port/database")
    }

    init(driver: any DatabaseDriver, description: String, signer: AuditHeadSigner? = nil) {
        self.driver = driver
        let heads = AuditHeadCache(signer: signer)
        self.samples = SQLSampleRepository(driver: driver, heads: heads, events: sampleEventSignal)
        self.sampleEvents = SampleEventLog(driver: driver, signal: sampleEventSignal, heads: heads)
        self.sessionAudio = SessionAudioBus(driver: driver)
        self.auth = SQLAuthRepository(driver: driver, heads: heads, events: sampleEventSignal)
        self.access = SQLAccessRepository(driver: driver, heads: heads, events: sampleEventSignal)
        self.analyses = SQLAnalysisJobRepository(driver: driver, heads: heads)
        self.audit = SQLAuditLog(driver: driver, heads: heads)
        self.description = description
    }

    public func migrate() async throws -> [Int] {
        try await Migrator(driver: driver).migrate()
    }

    public func run() async throws {
        if let postgres = driver as? PostgresDriver {
            // Ends on graceful shutdown; the store is the app's first service, so it stops last.
            await postgres.run()
            return
        }
        try? await gracefulShutdown()
        try await driver.close()
    }

    /// Runs `body` while the store's connections are live (for one-shot commands and tests).
    public func withRunning<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        guard let postgres = driver as? PostgresDriver else {
            // Closed before returning: a one-shot command that exits right after must not race the close
            // (each SQLite connection has a thread of its own to stop).
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            try? await driver.close()
            return try result.get()
        }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await postgres.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}

extension VigilStore {
    /// A trivial query: succeeds when the database answers.
    public func ping() async throws {
        try await driver.read { db in
            _ = try await db.raw("SELECT 1 AS one").first()
        }
    }
}
