import SQLiteNIO
import VaporCSQLite
import VigilCore

/// A SQLite connection driven through the C API directly, with its prepared statements cached: the
/// hot paths (the write transaction's statements, chain verification) skip sqlite-nio's per-statement
/// thread hop, fresh `prepare` and boxed column values.
///
/// Not thread-safe by itself: every user confines it to one thread at a time (the writer behind the
/// driver's writer lock and its executor, a verification reader inside one thread-pool job).
final class SQLiteHandle {
    private(set) var raw: OpaquePointer?
    private var statements = [String: OpaquePointer]()
    let path: String

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
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        statements = [:]
        if let raw { sqlite_nio_sqlite3_close_v2(raw) }
        raw = nil
    }

    /// Runs statements without binds or results (`BEGIN`, `COMMIT`, `PRAGMA …`).
    func exec(_ sql: String) throws {
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
        let statement = try prepared(sql)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
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

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite_nio_sqlite3_changes64(raw)) }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(raw, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure(status) }
        // Statements built per call (with a varying number of rows) would fill the cache: keep at most 64.
        if statements.count >= 64, let (key, old) = statements.first {
            sqlite_nio_sqlite3_finalize(old)
            statements[key] = nil
        }
        statements[sql] = statement
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

        /// The column's integer, or `nil` unless it is stored as an integer.
        func integer(_ column: Int) -> Int64? {
            sqlite_nio_sqlite3_column_type(statement, Int32(column)) == SQLITE_INTEGER
                ? sqlite_nio_sqlite3_column_int64(statement, Int32(column)) : nil
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
