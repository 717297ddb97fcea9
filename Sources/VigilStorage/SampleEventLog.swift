import SQLKit
import VigilCore

/// The sample-event outbox: one row per committed batch (its new samples, in the API's JSON shape), written
/// in the batch's transaction. Cursors grow in commit order — SQLite has one writer; on PostgreSQL the
/// append takes a transaction-scoped advisory lock, so a cursor is assigned only after every smaller one
/// committed — which is what lets a reader that saw cursor N know nothing below N can still appear.
public struct SampleEventLog: Sendable {
    let driver: any DatabaseDriver
    /// PostgreSQL's notification channel; the payload is the new cursor.
    public static let channel = "vigil_sample_events"
    static let appendLock = 7_361_030

    init(driver: any DatabaseDriver) {
        self.driver = driver
    }

    /// Appends the batch's new samples (none: nothing) and returns the cursor.
    static func append(
        _ samples: [Sample], organization: String, subject: SubjectID, committedAt: Int64, on db: any SQLDatabase, engine: SQLEngine
    ) async throws -> Int64? {
        guard !samples.isEmpty else { return nil }
        var json = [UInt8](#"["#.utf8)
        for (index, sample) in samples.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            SampleJSONWriter.append(sample, to: &json)
        }
        json.append(UInt8(ascii: "]"))
        if engine == .postgres { try await db.raw("SELECT pg_advisory_xact_lock(\(literal: appendLock))").run() }
        let row = try await db.raw(
            """
            INSERT INTO sample_events (organization, subject, sample_count, samples, committed_at)
            VALUES (\(bind: organization), \(bind: subject.value), \(bind: samples.count), \(bind: String(decoding: json, as: UTF8.self)),
                    \(bind: committedAt))
            RETURNING cursor
            """
        ).first()
        let cursor = try row?.decode(column: "cursor", as: Int64.self) ?? 0
        // Delivered to every listening node when (and only if) the transaction commits.
        if engine == .postgres { try await db.raw("SELECT pg_notify(\(bind: channel), \(bind: String(cursor)))").run() }
        return cursor
    }

    /// Events with `after < cursor <= upTo` (all subjects, or one), in cursor order, at most `limit`.
    public func events(after: Int64, upTo: Int64? = nil, subject: SubjectID? = nil, limit: Int) async throws -> [SampleEvent] {
        var sql = "SELECT cursor, organization, subject, sample_count, samples FROM sample_events WHERE cursor > ?"
        var binds: [FastBind] = [.integer(after)]
        if let upTo {
            sql += " AND cursor <= ?"
            binds.append(.integer(upTo))
        }
        if let subject {
            sql += " AND subject = ?"
            binds.append(.text(subject.value))
        }
        sql += " ORDER BY cursor LIMIT \(limit)"
        return try await driver.rows(sql, binds).map { row in
            guard row.count == 5, let cursor = row[0].integer, let organization = row[1].text, let subject = row[2].text,
                let count = row[3].integer, let samples = row[4].text
            else { throw StorageError.corruptRow("unexpected sample event row") }
            return SampleEvent(cursor: cursor, organization: organization, subject: subject, sampleCount: Int(count), samplesJSON: samples)
        }
    }

    /// The newest cursor (0 when there is none).
    public func latestCursor() async throws -> Int64 {
        try await driver.rows("SELECT COALESCE(MAX(cursor), 0) FROM sample_events", []).first?.first?.integer ?? 0
    }
}

/// Tells this process's stream hub that a batch committed here (other nodes learn it from PostgreSQL).
public final class SampleEventSignal: Sendable {
    public let cursors: AsyncStream<Int64>
    private let continuation: AsyncStream<Int64>.Continuation

    public init() {
        (cursors, continuation) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
    }

    func committed(_ cursor: Int64) {
        continuation.yield(cursor)
    }
}

extension SampleEventLog {
    /// Calls `onCursor` for every cursor another process (or this one) announces on PostgreSQL, holding one
    /// pooled connection; returns when cancelled, throws when the connection fails (the caller retries).
    /// On SQLite there is only this process, so it waits for cancellation.
    public func listen(_ onCursor: @escaping @Sendable (Int64) async -> Void) async throws {
        guard let postgres = driver as? PostgresDriver else {
            while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
            return
        }
        try await postgres.client.withConnection { connection in
            try await connection.listen(on: Self.channel) { notifications in
                for try await notification in notifications {
                    if let cursor = Int64(notification.payload) { await onCursor(cursor) }
                }
            }
        }
    }
}
