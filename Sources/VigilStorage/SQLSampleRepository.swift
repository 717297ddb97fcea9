import SQLKit
import VigilCore

/// ``SampleRepository`` on SQLite or PostgreSQL. A batch is one transaction: a multi-row
/// `INSERT … ON CONFLICT DO NOTHING RETURNING uuid`, and only when some rows already existed, one
/// `SELECT` to tell duplicates (same content) from conflicts (rolled back).
public struct SQLSampleRepository: SampleRepository {
    let driver: any DatabaseDriver
    let heads: AuditHeadCache
    let events: SampleEventSignal
    /// Rows per INSERT statement: 11 binds each stays under SQLite's and PostgreSQL's bind limits.
    static let rowsPerStatement = 1000
    static let columns = [
        "subject", "uuid", "type", "start_utc", "end_utc", "utc_offset", "value", "unit", "category", "source", "metadata",
    ]
    static let selectColumns = "uuid, type, start_utc, end_utc, utc_offset, value, unit, category, source, metadata"

    init(driver: any DatabaseDriver, heads: AuditHeadCache, events: SampleEventSignal) {
        self.driver = driver
        self.heads = heads
        self.events = events
    }

    private struct ConflictFound: Error {
        let indexes: [Int]
    }

    public func insert(_ samples: [Sample], subject: SubjectID, audit: AuditEvent) async throws -> SampleInsertOutcome {
        try await store(samples, subject: subject, audit: audit)
    }

    /// The same transaction without its audit event: only for measuring what auditing costs.
    @_spi(Benchmarks)
    public func insertWithoutAudit(_ samples: [Sample], subject: SubjectID) async throws -> SampleInsertOutcome {
        try await store(samples, subject: subject, audit: nil)
    }

    private func store(_ samples: [Sample], subject: SubjectID, audit: AuditEvent?) async throws -> SampleInsertOutcome {
        // Statements, binds and the outbox payload are built before the transaction: the writer (on
        // SQLite, the single writer thread) then only runs statements.
        let chunks = stride(from: 0, to: samples.count, by: Self.rowsPerStatement).map { start in
            let chunk = samples[start..<min(start + Self.rowsPerStatement, samples.count)]
            return (chunk: chunk, sql: Self.insertStatement(rows: chunk.count), binds: chunk.flatMap { Self.binds($0, subject: subject) })
        }
        let payload = SampleEventLog.payload(samples)
        do {
            let stored = try await driver.write { [engine = driver.engine, heads] db in
                var accepted = 0
                var duplicates = 0
                var fresh = [Sample]()
                for (chunk, sql, binds) in chunks {
                    let inserted = Set(try await WriteTransaction.execute(sql, binds).compactMap { $0.first?.text })
                    accepted += inserted.count
                    fresh += chunk.filter { inserted.contains($0.uuid) }
                    guard inserted.count < chunk.count else { continue }
                    let existing = chunk.indices.filter { !inserted.contains(samples[$0].uuid) }
                    let conflicts = try await Self.conflicting(existing, of: samples, subject: subject, on: db)
                    guard conflicts.isEmpty else { throw ConflictFound(indexes: conflicts) }
                    duplicates += existing.count
                }
                // Last, so the audit chain's head lock is held only from here to commit.
                if let audit { try await SQLAuditLog.append([audit], on: db, engine: engine, heads: heads) }
                let cursor = try await SampleEventLog.append(
                    fresh, payload: fresh.count == samples.count ? payload : nil, organization: audit?.organization ?? "",
                    subject: subject, committedAt: audit?.occurredAt ?? 0, on: db, engine: engine)
                return (IngestResult(accepted: accepted, duplicates: duplicates), cursor)
            }
            if let cursor = stored.1 { events.committed(cursor) }
            return .stored(stored.0)
        } catch let found as ConflictFound {
            return .conflicts(found.indexes)
        }
    }

    /// A multi-row insert that skips stored uuids and returns the ones it inserted.
    static func insertStatement(rows: Int) -> String {
        multiRowInsert(into: "samples", columns: columns, rows: rows, suffix: " ON CONFLICT (subject, uuid) DO NOTHING RETURNING uuid")
    }

    public func storedConflicts(_ samples: [Sample], subject: SubjectID) async throws -> [Int] {
        try await driver.read { db in
            try await Self.conflicting(Array(samples.indices), of: samples, subject: subject, on: db)
        }
    }

    /// Of `indexes`, those whose uuid is stored with content other than `samples[index]`.
    private static func conflicting(
        _ indexes: [Int], of samples: [Sample], subject: SubjectID, on db: any SQLDatabase
    ) async throws -> [Int] {
        var conflicts = [Int]()
        for chunkStart in stride(from: 0, to: indexes.count, by: rowsPerStatement) {
            let chunk = indexes[chunkStart..<min(chunkStart + rowsPerStatement, indexes.count)]
            let stored = try await db.select().column(SQLRaw(selectColumns)).from("samples")
                .where("subject", .equal, subject.value)
                .where("uuid", .in, chunk.map { samples[$0].uuid })
                .all()
                .map(Self.sample(from:))
            let byUUID = Dictionary(stored.map { ($0.uuid, $0) }, uniquingKeysWith: { first, _ in first })
            conflicts += chunk.filter { index in byUUID[samples[index].uuid].map { $0 != samples[index] } ?? false }
        }
        return conflicts
    }

    public func samples(_ query: SampleQuery) async throws -> [Sample] {
        var sql = "SELECT \(SampleColumns.select) FROM samples WHERE subject = ?"
        var binds: [FastBind] = [.text(query.subject.value)]
        if let type = query.type {
            sql += " AND type = ?"
            binds.append(.text(type.rawValue))
        }
        if let from = query.from {
            sql += " AND start_utc >= ?"
            binds.append(.integer(from))
        }
        if let to = query.to {
            sql += " AND start_utc < ?"
            binds.append(.integer(to))
        }
        if let after = query.after {
            sql += " AND (start_utc, uuid) > (?, ?)"
            binds += [.integer(after.startMicroseconds), .text(after.uuid)]
        }
        sql += " ORDER BY start_utc, uuid LIMIT \(query.limit + 1)"
        return try await driver.rows(sql, binds).map(SampleColumns.sample)
    }

    public func series(subject: SubjectID, type: SampleType, from: Int64?, to: Int64?, limit: Int) async throws -> [SeriesPoint] {
        var sql = "SELECT start_utc, end_utc, utc_offset, value FROM samples WHERE subject = ? AND type = ? AND value IS NOT NULL"
        var binds: [FastBind] = [.text(subject.value), .text(type.rawValue)]
        if let from {
            sql += " AND start_utc >= ?"
            binds.append(.integer(from))
        }
        if let to {
            sql += " AND start_utc < ?"
            binds.append(.integer(to))
        }
        sql += " ORDER BY start_utc, uuid LIMIT \(limit)"
        return try await driver.rows(sql, binds).map { row in
            guard row.count == 4, let start = row[0].integer, let end = row[1].integer, let offset = row[2].integer,
                let value = row[3].double
            else { throw StorageError.corruptRow("unexpected series row shape") }
            return SeriesPoint(
                start: Timestamp(microseconds: start, offsetSeconds: Int32(truncatingIfNeeded: offset)), endMicroseconds: end, value: value)
        }
    }

    /// One row's values in ``columns`` order; absent optionals are `NULL`s.
    static func binds(_ sample: Sample, subject: SubjectID) -> [FastBind] {
        func optional(_ value: String?) -> FastBind { value.map(FastBind.text) ?? .null }
        return [
            .text(subject.value), .text(sample.uuid), .text(sample.type.rawValue), .integer(sample.start.microseconds),
            .integer(sample.endMicroseconds), .integer(Int64(sample.start.offsetSeconds)), sample.value.map(FastBind.double) ?? .null,
            optional(sample.unit), optional(sample.category), optional(sample.sourceJSON), optional(sample.metadataJSON),
        ]
    }

    static func sample(from row: any SQLRow) throws -> Sample {
        let typeName = try row.decode(column: "type", as: String.self)
        guard let type = SampleType(rawValue: typeName) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown sample type in database: \(typeName)"))
        }
        return Sample(
            uuid: try row.decode(column: "uuid", as: String.self),
            type: type,
            start: Timestamp(
                microseconds: try row.decode(column: "start_utc", as: Int64.self),
                offsetSeconds: Int32(try row.decode(column: "utc_offset", as: Int.self))
            ),
            endMicroseconds: try row.decode(column: "end_utc", as: Int64.self),
            value: try row.decode(column: "value", as: Double?.self),
            unit: try row.decode(column: "unit", as: String?.self),
            category: try row.decode(column: "category", as: String?.self),
            sourceJSON: try row.decode(column: "source", as: String?.self),
            metadataJSON: try row.decode(column: "metadata", as: String?.self)
        )
    }

    /// Rows stored for a subject (operators and tests).
    public func count(subject: SubjectID) async throws -> Int {
        try await driver.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM samples WHERE subject = \(bind: subject.value)").first()?.decode(
                column: "n", as: Int.self) ?? 0
        }
    }
}
