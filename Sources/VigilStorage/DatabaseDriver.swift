import SQLKit
import VigilCore

/// Which SQL engine a driver talks to; the few statements that differ switch on it.
public enum SQLEngine: String, Sendable {
    case sqlite
    case postgres
}

/// A connection source for the repositories: reads anywhere, writes inside one transaction.
public protocol DatabaseDriver: Sendable {
    var engine: SQLEngine { get }
    /// Runs `body` on a connection outside any explicit transaction.
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` in a write transaction; commits when it returns (durably, before this returns),
    /// rolls back when it throws.
    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Releases connections. Called once, on shutdown.
    func close() async throws
    /// Runs a hand-written `SELECT` (`?` placeholders) and returns its rows as plain values, decoded
    /// natively: the hot reads (sample pages, chain verification) skip Codable bridging.
    func rows(_ sql: String, _ binds: [FastBind]) async throws -> [[FastValue]]
    /// Like ``rows(_:_:)``, but hands each row to `transform` as it is read (on the reading thread) and
    /// keeps only the results: long scans (chain verification) skip an intermediate copy of every row.
    func rows<T: Sendable>(_ sql: String, _ binds: [FastBind], transform: @escaping @Sendable ([FastValue]) throws -> T) async throws -> [T]
}

/// A bind value of a hand-written statement.
public enum FastBind: Sendable {
    case text(String)
    case integer(Int64)
    case double(Double)
    case null
}

/// The connection of the write transaction that the current task runs in (set by the drivers around
/// the body of ``DatabaseDriver/write(_:)``): hot writes (audit appends) run hand-written statements
/// on it with plain binds, skipping SQLKit's serialisation and per-bind dynamic encoding.
protocol TransactionConnection: Sendable {
    /// Runs one statement (`?` placeholders) in the transaction and returns its rows (for `RETURNING`).
    func execute(_ sql: String, _ binds: [FastBind]) async throws -> [[FastValue]]
}

enum WriteTransaction {
    @TaskLocal static var current: (any TransactionConnection)?

    /// Runs a statement (`?` placeholders, plain binds) on the write transaction's own connection and
    /// returns its rows (for `RETURNING`): the hot writes skip SQLKit's serialisation and per-bind
    /// encoding. Both drivers set ``current`` around the body of ``DatabaseDriver/write(_:)``.
    static func execute(_ sql: String, _ binds: [FastBind]) async throws -> [[FastValue]] {
        guard let current else { throw StorageError.outsideTransaction }
        return try await current.execute(sql, binds)
    }
}

/// A multi-row `INSERT … VALUES (?, …), (?, …)` for the fast path: `rows` rows of `columns`, then `suffix`.
func multiRowInsert(into table: String, columns: [String], rows: Int, suffix: String = "") -> String {
    let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
    return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
        + Array(repeating: row, count: rows).joined(separator: ", ") + suffix
}

/// One cell of a fast-path row.
public enum FastValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case double(Double)
    case text(String)

    var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .double(let value): Int64(exactly: value)
        default: nil
        }
    }

    var double: Double? {
        switch self {
        case .double(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}

/// The sample columns as the fast path selects them.
enum SampleColumns {
    static let select = "uuid, type, start_utc, end_utc, utc_offset, value, unit, category, source, metadata"

    static func sample(_ row: [FastValue]) throws -> Sample {
        guard row.count == 10, let uuid = row[0].text, let typeName = row[1].text, let start = row[2].integer, let end = row[3].integer,
            let offset = row[4].integer
        else { throw StorageError.corruptRow("unexpected sample row shape") }
        guard let type = SampleType(rawValue: typeName) else { throw StorageError.corruptRow("unknown sample type \(typeName)") }
        return Sample(
            uuid: uuid,
            type: type,
            start: Timestamp(microseconds: start, offsetSeconds: Int32(truncatingIfNeeded: offset)),
            endMicroseconds: end,
            value: row[5].double,
            unit: row[6].text,
            category: row[7].text,
            sourceJSON: row[8].text,
            metadataJSON: row[9].text
        )
    }
}
