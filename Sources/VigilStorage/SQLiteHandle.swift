import NIOConcurrencyHelpers
import SQLiteNIO
import VaporCSQLite
import VigilCore

/// A SQLite connection driven through the C API directly, with its prepared statements cached: the
/// hot paths (the write transaction's statements, chain verification) skip sqlite-nio's per-statement
/// thread hop, fresh `prepare` and boxed column values.
///
/// Every call holds the handle's lock (uncontended in normal use: each connection has one user at a
/// time, see ``SQLiteThreadConnection``), so even a misused handle — a task that escaped its
/// transaction — cannot race on the statement cache or free a statement in use. The callbacks of
/// ``forEachRow(_:data:_:)`` run under that lock and must not use the handle again.
final class SQLiteHandle {
    private(set) var raw: OpaquePointer?
    /// Prepared statements by SQL, with the tick of their last use (least recently used goes first).
    private var statements = [String: (statement: OpaquePointer, lastUse: UInt64)]()
    private var tick: UInt64 = 0
    private let lock = NIOLock()
    let path: String
    /// Statements kept prepared; ones with more binds than `uncachedBinds` (a 1,000-row insert holds
    /// over a megabyte) are prepared for one use.
    static let cachedStatements = 32
    static let uncachedBinds = 2_000

    /// `serialized`: SQLite's own mutex guards every call (for a handle shared by the tasks of one
    /// transaction); otherwise the handle must be confined to one thread at a time.
    init(path: String, readOnly: Bool = false, serialized: Bool = false) throws {
        self.path = path
        var handle: OpaquePointer?
        let flags =
            (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | (serialized ? SQLITE_OPEN_FULLMUTEX : SQLITE_OPEN_NOMUTEX)
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite_nio_sqlite3_close(handle)
            throw StorageError.sqlite("cannot open \(path): \(message)")
        }
        raw = handle
        sqlite_nio_sqlite3_extended_result_codes(handle, 1)
    }

    deinit { close() }

    func close() {
        lock.withLock {
            for entry in statements.values { sqlite_nio_sqlite3_finalize(entry.statement) }
            statements = [:]
            if let raw { sqlite_nio_sqlite3_close_v2(raw) }
            raw = nil
        }
    }

    /// Whether no transaction is open (after a failed `ROLLBACK`, or one SQLite ended by itself).
    var isAutocommit: Bool { lock.withLock { raw.map { sqlite_nio_sqlite3_get_autocommit($0) != 0 } ?? true } }

    /// Runs statements without binds or results (`BEGIN`, `COMMIT`, `PRAGMA …`).
    func exec(_ sql: String) throws {
        try lock.withLock { try execLocked(sql) }
    }

    private func execLocked(_ sql: String) throws {
        guard raw != nil else { throw StorageError.sqlite("the connection is closed") }
        var error: UnsafeMutablePointer<CChar>?
        let status = sqlite_nio_sqlite3_exec(raw, sql, nil, nil, &error)
        defer { sqlite_nio_sqlite3_free(error) }
        guard status == SQLITE_OK else { throw failure(status, error.map { String(cString: $0) }) }
    }

    /// Runs one statement and returns its rows (for `RETURNING` and `SELECT`).
    @discardableResult
    func execute(_ sql: String, _ binds: [FastBind]) throws -> [[FastValue]] {
        var rows = [[FastValue]]()
        try forEachRow(sql, binds) { row in
            rows.append((0..<row.count).map(row.value))
            return true
        }
        return rows
    }

    /// Runs one statement and hands each row to `body` while it is current (its column memory is valid
    /// only during the call); `body` returns `false` to stop early.
    func forEachRow(_ sql: String, _ binds: [FastBind], _ body: (Row) throws -> Bool) throws {
        try forEachRow(
            sql,
            data: binds.map { bind in
                switch bind {
                case .text(let text): .text(text)
                case .integer(let value): .integer(Int(value))
                case .double(let value): .float(value)
                case .null: .null
                }
            }, body)
    }

    /// ``forEachRow(_:_:_:)`` with sqlite-nio's bind values (statements built by SQLKit).
    func forEachRow(_ sql: String, data binds: [SQLiteData], _ body: (Row) throws -> Bool) throws {
        lock.lock()
        defer { lock.unlock() }
        guard raw != nil else { throw StorageError.sqlite("the connection is closed") }
        let cached = binds.count <= Self.uncachedBinds
        let statement = try prepared(sql, cached: cached)
        defer {
            if cached {
                sqlite_nio_sqlite3_reset(statement)
                sqlite_nio_sqlite3_clear_bindings(statement)
            } else {
                sqlite_nio_sqlite3_finalize(statement)
            }
        }
        try bind(binds, to: statement)
        let row = Row(statement: statement)
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw failure(status) }
            guard try body(row) else { return }
        }
    }

    private func prepared(_ sql: String, cached: Bool) throws -> OpaquePointer {
        tick &+= 1
        if cached, let entry = statements[sql] {
            statements[sql] = (entry.statement, tick)
            return entry.statement
        }
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(raw, sql, -1, UInt32(cached ? SQLITE_PREPARE_PERSISTENT : 0), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure(status) }
        guard cached else { return statement }
        if statements.count >= Self.cachedStatements, let oldest = statements.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            sqlite_nio_sqlite3_finalize(oldest.value.statement)
            statements[oldest.key] = nil
        }
        statements[sql] = (statement, tick)
        return statement
    }

    private func bind(_ binds: [SQLiteData], to statement: OpaquePointer) throws {
        for (offset, bind) in binds.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch bind {
            case .integer(let value): status = sqlite_nio_sqlite3_bind_int64(statement, index, Int64(value))
            case .float(let value): status = sqlite_nio_sqlite3_bind_double(statement, index, value)
            case .null: status = sqlite_nio_sqlite3_bind_null(statement, index)
            case .text(var value):
                status = value.withUTF8 { bytes in
                    guard let base = bytes.baseAddress, !bytes.isEmpty else {
                        // A null pointer would bind NULL, not the empty string.
                        return sqlite_nio_sqlite3_bind_text64(statement, index, "", 0, SQLiteHandle.transient, UInt8(SQLITE_UTF8))
                    }
                    return sqlite_nio_sqlite3_bind_text64(
                        statement, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), UInt64(bytes.count),
                        SQLiteHandle.transient, UInt8(SQLITE_UTF8))
                }
            case .blob(let buffer):
                status = buffer.withUnsafeReadableBytes { bytes in
                    // A zero-length blob, not NULL, when the buffer is empty.
                    sqlite_nio_sqlite3_bind_blob64(
                        statement, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64(bytes.count), SQLiteHandle.transient)
                }
            }
            guard status == SQLITE_OK else { throw failure(status) }
        }
    }

    func failure(_ status: Int32, _ message: String? = nil) -> StorageError {
        let text = message ?? raw.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "closed"
        return StorageError.sqlite("\(text) (code \(status))")
    }

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// The current row of a running statement.
    struct Row {
        let statement: OpaquePointer

        var count: Int { Int(sqlite_nio_sqlite3_column_count(statement)) }

        func isNull(_ column: Int) -> Bool { sqlite_nio_sqlite3_column_type(statement, Int32(column)) == SQLITE_NULL }

        /// The column's integer: stored as one, or as a real with an exact integer value (as
        /// ``FastValue/integer`` reads it); `nil` otherwise.
        func integer(_ column: Int) -> Int64? {
            switch sqlite_nio_sqlite3_column_type(statement, Int32(column)) {
            case SQLITE_INTEGER: sqlite_nio_sqlite3_column_int64(statement, Int32(column))
            case SQLITE_FLOAT: Int64(exactly: sqlite_nio_sqlite3_column_double(statement, Int32(column)))
            default: nil
            }
        }

        /// The column's bytes if it is text (or a blob), valid until the next step; `nil` otherwise.
        func text(_ column: Int) -> UnsafeBufferPointer<UInt8>? {
            let type = sqlite_nio_sqlite3_column_type(statement, Int32(column))
            guard type == SQLITE_TEXT || type == SQLITE_BLOB else { return nil }
            let pointer =
                type == SQLITE_TEXT
                ? UnsafeRawPointer(sqlite_nio_sqlite3_column_text(statement, Int32(column)))
                : sqlite_nio_sqlite3_column_blob(statement, Int32(column))
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, Int32(column)))
            guard let pointer else { return UnsafeBufferPointer(start: nil, count: 0) }
            return UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: count)
        }

        func name(_ column: Int) -> String { String(cString: sqlite_nio_sqlite3_column_name(statement, Int32(column))) }

        /// The column as sqlite-nio's value (rows handed to SQLKit).
        func data(_ column: Int) -> SQLiteData {
            switch sqlite_nio_sqlite3_column_type(statement, Int32(column)) {
            case SQLITE_INTEGER: .integer(Int(sqlite_nio_sqlite3_column_int64(statement, Int32(column))))
            case SQLITE_FLOAT: .float(sqlite_nio_sqlite3_column_double(statement, Int32(column)))
            case SQLITE_NULL: .null
            case SQLITE_BLOB: .blob(ByteBuffer(bytes: text(column)!))
            default: .text(String(decoding: text(column)!, as: UTF8.self))
            }
        }

        func value(_ column: Int) -> FastValue {
            switch sqlite_nio_sqlite3_column_type(statement, Int32(column)) {
            case SQLITE_INTEGER: .integer(sqlite_nio_sqlite3_column_int64(statement, Int32(column)))
            case SQLITE_FLOAT: .double(sqlite_nio_sqlite3_column_double(statement, Int32(column)))
            case SQLITE_NULL: .null
            default: .text(String(decoding: text(column)!, as: UTF8.self))
            }
        }
    }
}
