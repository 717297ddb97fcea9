import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import VigilCore

/// SQLite in WAL mode: one writer connection (SQLite allows one writer at a time; taking turns in
/// process avoids busy-waiting on the file lock) and a few reader connections that never block it.
public final class SQLiteDriver: DatabaseDriver {
    public let engine = SQLEngine.sqlite
    public let path: String
    private let writer: SQLiteWriterConnection
    private let writerDatabase: SQLiteWriterDatabase
    private let writerMutex = AsyncMutex()
    private let readers: [SQLiteConnection]
    private let readerMutexes: [AsyncMutex]
    private let nextReader = ManagedCounter()

    /// `synchronous` is `FULL` by default: a committed batch survives power loss (API.md, durability).
    public static func open(
        path: String, synchronous: String = "FULL", readers readerCount: Int = 4, logger: Logger
    ) async throws -> SQLiteDriver {
        let level = ["OFF", "NORMAL", "FULL", "EXTRA"].contains(synchronous.uppercased()) ? synchronous.uppercased() : "FULL"
        let writer = try SQLiteWriterConnection(path: path)
        do {
            // WAL lets readers run while the writer commits; it is a property of the file, set once.
            try writer.handle.exec("PRAGMA journal_mode=WAL")
            for pragma in pragmas(synchronous: level) { try writer.handle.exec(pragma) }
        } catch {
            try? await writer.close()
            throw error
        }
        var readers = [SQLiteConnection]()
        for _ in 0..<max(1, readerCount) {
            let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            let db = reader.sql(queryLogLevel: nil)
            for pragma in pragmas(synchronous: level) { _ = try await db.raw(SQLQueryString(pragma)).all() }
            readers.append(reader)
        }
        return SQLiteDriver(path: path, writer: writer, readers: readers, logger: logger)
    }

    private init(path: String, writer: SQLiteWriterConnection, readers: [SQLiteConnection], logger: Logger) {
        self.path = path
        self.writer = writer
        self.writerDatabase = SQLiteWriterDatabase(
            connection: writer, logger: logger, eventLoop: MultiThreadedEventLoopGroup.singleton.any())
        self.readers = readers
        self.readerMutexes = readers.map { _ in AsyncMutex() }
    }

    private static func pragmas(synchronous: String) -> [String] {
        [
            "PRAGMA synchronous=\(synchronous)", "PRAGMA busy_timeout=10000", "PRAGMA foreign_keys=ON",
            "PRAGMA temp_store=MEMORY", "PRAGMA cache_size=-65536",
        ]
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let index = nextReader.next() % readers.count
        return try await readerMutexes[index].withLock { try await body(readers[index].sql(queryLogLevel: nil)) }
    }

    public func rows(_ sql: String, _ binds: [FastBind]) async throws -> [[FastValue]] {
        try await rows(sql, binds) { $0 }
    }

    public func rows<T: Sendable>(
        _ sql: String, _ binds: [FastBind], transform: @escaping @Sendable ([FastValue]) throws -> T
    ) async throws -> [T] {
        let index = nextReader.next() % readers.count
        return try await readerMutexes[index].withLock { try await Self.rows(sql, binds, on: readers[index], transform: transform) }
    }

    static func rows<T: Sendable>(
        _ sql: String, _ binds: [FastBind], on connection: SQLiteConnection, transform: @escaping @Sendable ([FastValue]) throws -> T
    ) async throws -> [T] {
        let data = binds.map { bind -> SQLiteData in
            switch bind {
            case .text(let text): .text(text)
            case .integer(let value): .integer(Int(value))
            case .null: .null
            }
        }
        // Rows arrive one at a time on the thread pool; the lock is never contended.
        let collected = NIOLockedValueBox((results: [T](), error: (any Error)?.none))
        try await connection.query(sql, data) { row in
            let values = row.columns.map { column -> FastValue in
                switch column.data {
                case .integer(let value): .integer(Int64(value))
                case .float(let value): .double(value)
                case .text(let value): .text(value)
                case .blob(let buffer): .text(String(buffer: buffer))
                case .null: .null
                }
            }
            collected.withLockedValue { state in
                guard state.error == nil else { return }
                do { state.results.append(try transform(values)) } catch { state.error = error }
            }
        }
        return try collected.withLockedValue { state in
            if let error = state.error { throw error }
            return state.results
        }
    }

    public func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writerMutex.withLock {
            // The whole transaction runs on the writer's thread: its statements and the commit's fsync
            // block that thread, never the cooperative pool.
            try await withTaskExecutorPreference(writer.executor) { [writer, writerDatabase] in
                try writer.handle.exec("BEGIN IMMEDIATE")
                do {
                    let result = try await WriteTransaction.$current.withValue(SQLiteTransaction(connection: writer)) {
                        try await body(writerDatabase)
                    }
                    try writer.handle.exec("COMMIT")
                    return result
                } catch {
                    try? writer.handle.exec("ROLLBACK")
                    throw error
                }
            }
        }
    }

    public func close() async throws {
        try await writerMutex.withLock {
            for reader in readers { try await reader.close() }
            try await writer.close()
        }
    }
}

/// A wrapping counter shared by concurrent tasks (round-robin over reader connections).
final class ManagedCounter: Sendable {
    private let value = NIOLockedValueBox(0)

    func next() -> Int {
        value.withLockedValue {
            $0 = $0 &+ 1
            return $0 & Int.max
        }
    }
}

extension SQLiteDriver {
    /// Runs `body` on a thread-pool thread with a read-only connection of its own (long scans: chain
    /// verification), closed when `body` returns.
    func withReadOnlyHandle<T: Sendable>(_ body: @escaping @Sendable (SQLiteHandle) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { [path] in
            let handle = try SQLiteHandle(path: path, readOnly: true)
            defer { handle.close() }
            try handle.exec("PRAGMA busy_timeout=10000")
            return try body(handle)
        }
    }
}
