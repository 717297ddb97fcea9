import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import VigilCore

/// A SQLite connection driven through the C API on a thread of its own, with its prepared statements
/// cached: the writer, and each reader. A transaction (or a read) hops to that thread once and runs
/// every statement inline (sqlite-nio hops to a thread pool and prepares anew for each statement, which
/// made the two audit statements of an ingest batch cost 8–12 % of the batch).
final class SQLiteThreadConnection: @unchecked Sendable {
    // Safe to share: its stored properties are constants, and the handle is safe to call from any
    // thread — every call holds the handle's own lock (see ``SQLiteHandle``). In normal use the lock is
    // never contended: the connection's users take turns through `lock`, and their statements run on
    // `executor`'s one thread. A statement sent through a transaction that has ended is refused (see
    // ``TransactionToken``), so a task that escaped a transaction cannot write into the next one.
    let handle: SQLiteHandle
    /// One thread: the transaction's code runs there (task executor preference), so statements and the
    /// commit's fsync block it rather than one of the cooperative pool's threads.
    let executor: ThreadTaskExecutor
    /// Serialises the users of this connection.
    let lock = AsyncMutex()

    init(path: String) throws {
        handle = try SQLiteHandle(path: path, serialized: true)
        executor = ThreadTaskExecutor()
    }

    private let closed = NIOLockedValueBox(false)

    /// Runs `body` holding this connection, on its thread.
    func use<T: Sendable>(_ body: @Sendable (SQLiteHandle) async throws -> T) async throws -> T {
        try await lock.withLock {
            // Refused before the hop: after close the executor's thread is gone.
            guard !closed.withLockedValue({ $0 }) else { throw StorageError.sqlite("the connection is closed") }
            return try await withTaskExecutorPreference(executor) { try await body(handle) }
        }
    }

    func close() async throws {
        try await lock.withLock {
            closed.withLockedValue { $0 = true }
            handle.close()
        }
        try await executor.shutdown()
    }
}

/// Whether a write transaction is still open: statements sent through it afterwards are refused.
final class TransactionToken: Sendable {
    private let open = NIOLockedValueBox(true)

    func end() { open.withLockedValue { $0 = false } }

    func check() throws {
        guard open.withLockedValue({ $0 }) else { throw StorageError.outsideTransaction }
    }
}

/// A `TaskExecutor` running its jobs on one dedicated thread.
final class ThreadTaskExecutor: TaskExecutor {
    private let pool: NIOThreadPool

    init() {
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pool.submit { [self] _ in job.runSynchronously(on: asUnownedTaskExecutor()) }
    }

    func shutdown() async throws {
        try await pool.shutdownGracefully()
    }
}

/// SQLKit on a ``SQLiteThreadConnection``: SQLite's dialect, sqlite-kit's encoder and decoder,
/// statements run synchronously on the calling thread (the connection's own, see ``SQLiteThreadConnection/use(_:)``).
struct SQLiteHandleDatabase: SQLDatabase {
    let connection: SQLiteThreadConnection
    /// The writer's transaction (readers have none).
    var transaction: TransactionToken?
    let logger: Logger
    let eventLoop: any EventLoop
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }
    private static let encoder = SQLiteDataEncoder()
    private static let decoder = SQLiteDataDecoder()

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        do {
            try run(query, onRow)
            return eventLoop.makeSucceededVoidFuture()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try run(query, onRow)
    }

    private func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> Void) throws {
        try transaction?.check()
        let (sql, binds) = serialize(query)
        let data = try binds.map { try Self.encoder.encode($0) }
        var names: [String]?
        try connection.handle.forEachRow(sql, data: data) { row in
            let columns = names ?? (0..<row.count).map(row.name)
            names = columns
            onRow(SQLiteHandleRow(columns: columns, values: (0..<row.count).map(row.data), decoder: Self.decoder))
            return true
        }
    }
}

/// A row read on a ``SQLiteThreadConnection``, decoded as sqlite-kit decodes its own rows.
struct SQLiteHandleRow: SQLRow {
    let columns: [String]
    let values: [SQLiteData]
    let decoder: SQLiteDataDecoder

    var allColumns: [String] { columns }

    func contains(column: String) -> Bool { columns.contains(column) }

    func decodeNil(column: String) throws -> Bool {
        guard let index = columns.firstIndex(of: column) else { return true }
        return values[index] == .null
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let index = columns.firstIndex(of: column) else {
            throw DecodingError.keyNotFound(
                SQLiteHandleColumn(stringValue: column), .init(codingPath: [], debugDescription: "no column \(column) in the row"))
        }
        return try decoder.decode(D.self, from: values[index])
    }
}

private struct SQLiteHandleColumn: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The writer connection inside its write transaction (only reachable from that transaction's task):
/// the audit and ingest statements run on it with plain binds.
struct SQLiteTransaction: TransactionConnection {
    let connection: SQLiteThreadConnection
    let token: TransactionToken

    func execute(_ sql: String, _ binds: [FastBind]) async throws -> [[FastValue]] {
        try token.check()
        return try connection.handle.execute(sql, binds)
    }
}
