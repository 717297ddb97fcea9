import Foundation
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
    private let writer: SQLiteThreadConnection
    private let readers: [SQLiteThreadConnection]
    private let nextReader = ManagedCounter()
    private let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
    private let logger: Logger

    /// `synchronous` is `FULL` by default: a committed batch survives power loss (API.md, durability).
    public static func open(
        path: String, synchronous: String = "FULL", readers readerCount: Int = 4, logger: Logger
    ) async throws -> SQLiteDriver {
        let level = ["OFF", "NORMAL", "FULL", "EXTRA"].contains(synchronous.uppercased()) ? synchronous.uppercased() : "FULL"
        try restrictPermissions(path)
        var connections = [SQLiteThreadConnection]()
        do {
            for index in 0...max(1, readerCount) {
                let connection = try SQLiteThreadConnection(path: path)
                connections.append(connection)
                // WAL lets readers run while the writer commits; it is a property of the file, set once.
                if index == 0 { try connection.handle.exec("PRAGMA journal_mode=WAL") }
                for pragma in pragmas(synchronous: level) { try connection.handle.exec(pragma) }
            }
        } catch {
            for connection in connections { try? await connection.close() }
            throw error
        }
        return SQLiteDriver(path: path, writer: connections[0], readers: Array(connections.dropFirst()), logger: logger)
    }

    private init(path: String, writer: SQLiteThreadConnection, readers: [SQLiteThreadConnection], logger: Logger) {
        self.path = path
        self.writer = writer
        self.readers = readers
        self.logger = logger
    }

    private func database(_ connection: SQLiteThreadConnection) -> SQLiteHandleDatabase {
        SQLiteHandleDatabase(connection: connection, logger: logger, eventLoop: eventLoop)
    }

    private var reader: SQLiteThreadConnection { readers[nextReader.next() % readers.count] }

    /// Health data is readable by its owner only: the database file is created (or set) 0600 before
    /// SQLite opens it, and SQLite gives its `-wal` and `-shm` files the database file's mode; ones
    /// left by an older version are set 0600 too.
    static func restrictPermissions(_ path: String) throws {
        guard path != ":memory:", !path.hasPrefix("file:") else { return }
        let files = FileManager.default
        if !files.fileExists(atPath: path) {
            guard files.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw StorageError.invalidDatabaseURL("cannot create the SQLite database file \(path)")
            }
        }
        for file in [path, path + "-wal", path + "-shm"] where files.fileExists(atPath: file) {
            try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        }
    }

    private static func pragmas(synchronous: String) -> [String] {
        [
            "PRAGMA synchronous=\(synchronous)", "PRAGMA busy_timeout=10000", "PRAGMA foreign_keys=ON",
            "PRAGMA temp_store=MEMORY", "PRAGMA cache_size=-65536",
        ]
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let reader = reader
        return try await reader.use { _ in try await body(database(reader)) }
    }

    public func rows(_ sql: String, _ binds: [FastBind]) async throws -> [[FastValue]] {
        try await reader.use { try $0.execute(sql, binds) }
    }

    public func rows<T: Sendable>(
        _ sql: String, _ binds: [FastBind], transform: @escaping @Sendable ([FastValue]) throws -> T
    ) async throws -> [T] {
        try await reader.use { handle in
            var results = [T]()
            try handle.forEachRow(sql, binds) { row in
                results.append(try transform((0..<row.count).map(row.value)))
                return true
            }
            return results
        }
    }

    public func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        // The whole transaction runs on the writer's thread: its statements and the commit's fsync block
        // that thread, never the cooperative pool.
        try await writer.use { [writer] handle in
            // A transaction left open by a ROLLBACK that failed would make every BEGIN fail: end it first.
            if !handle.isAutocommit { try handle.exec("ROLLBACK") }
            try handle.exec("BEGIN IMMEDIATE")
            let token = TransactionToken()
            defer { token.end() }
            do {
                var database = database(writer)
                database.transaction = token
                let result = try await WriteTransaction.$current.withValue(SQLiteTransaction(connection: writer, token: token)) {
                    [database] in try await body(database)
                }
                token.end()
                try handle.exec("COMMIT")
                return result
            } catch {
                try? handle.exec("ROLLBACK")
                throw error
            }
        }
    }

    public func close() async throws {
        for reader in readers { try await reader.close() }
        try await writer.close()
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
