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
    /// Runs a hand-written `SELECT` of the sample columns (in ``SampleColumns/select`` order, `?`
    /// placeholders) and decodes rows natively — the query hot path skips Codable bridging.
    func samples(_ sql: String, _ binds: [FastBind]) async throws -> [Sample]
}

/// A bind value of a hand-written statement.
public enum FastBind: Sendable {
    case text(String)
    case integer(Int64)
}

/// The sample columns as the fast path selects them.
enum SampleColumns {
    static let select = "uuid, type, start_utc, end_utc, utc_offset, value, unit, category, source, metadata"

    static func sample(
        uuid: String,
        type typeName: String,
        start: Int64,
        end: Int64,
        offset: Int64,
        value: Double?,
        unit: String?,
        category: String?,
        source: String?,
        metadata: String?
    ) throws -> Sample {
        guard let type = SampleType(rawValue: typeName) else { throw StorageError.corruptRow("unknown sample type \(typeName)") }
        return Sample(
            uuid: uuid,
            type: type,
            start: Timestamp(microseconds: start, offsetSeconds: Int32(truncatingIfNeeded: offset)),
            endMicroseconds: end,
            value: value,
            unit: unit,
            category: category,
            sourceJSON: source,
            metadataJSON: metadata
        )
    }
}
