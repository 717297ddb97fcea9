import SQLKit
import VigilCore

/// The sample-event outbox: one row per committed batch (its new samples, in the API's JSON shape), written
/// in the batch's transaction. Cursors grow in commit order — SQLite has one writer; on PostgreSQL the
/// append takes a transaction-scoped advisory lock, so a cursor is assigned only after every smaller one
/// committed — which is what lets a reader that saw cursor N know nothing below N can still appear.
public struct SampleEventLog: Sendable {
    let driver: any DatabaseDriver
    let signal: SampleEventSignal
    let heads: AuditHeadCache
    /// PostgreSQL's notification channel; the payload is the new cursor.
    public static let channel = "vigil_sample_events"
    static let appendLock = 7_361_030

    init(driver: any DatabaseDriver, signal: SampleEventSignal, heads: AuditHeadCache) {
        self.driver = driver
        self.signal = signal
        self.heads = heads
    }

    /// Appends the batch's new samples (none: nothing) and returns the cursor.
    static func append(
        _ samples: [Sample], payload: String? = nil, organization: String, subject: SubjectID, committedAt: Int64,
        on db: any SQLDatabase, engine: SQLEngine
    ) async throws -> Int64? {
        guard !samples.isEmpty else { return nil }
        return try await appendRow(
            kind: .samples, organization: organization, subject: subject.value, sampleCount: samples.count,
            payload: payload ?? Self.payload(samples), committedAt: committedAt, on: db, engine: engine)
    }

    /// The outbox payload of a batch: its samples in the API's JSON shape (built before the
    /// transaction by the ingest path, which passes it to ``append(_:payload:organization:subject:committedAt:on:engine:)``).
    static func payload(_ samples: [Sample]) -> String {
        var json = [UInt8](#"["#.utf8)
        for (index, sample) in samples.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            SampleJSONWriter.append(sample, to: &json)
        }
        json.append(UInt8(ascii: "]"))
        return String(decoding: json, as: UTF8.self)
    }

    /// Appends an access change in the transaction that made it; nodes re-check the affected streams
    /// before delivering anything committed later.
    static func append(
        _ change: AccessChange, organization: String, at time: Int64, on db: any SQLDatabase, engine: SQLEngine
    )
        async throws -> Int64
    {
        var subject = ""
        if case .subject(let name) = change { subject = name }
        return try await appendRow(
            kind: .access, organization: organization, subject: subject, sampleCount: 0, payload: change.json, committedAt: time,
            on: db, engine: engine)
    }

    /// Appends a realtime-session change in its own transaction, with `audit` (a chat message's event) in the
    /// same transaction, and tells this node's hub.
    public func append(_ change: SessionChange, organization: String, subject: String, audit: AuditEvent? = nil) async throws -> Int64 {
        let cursor = try await driver.write { [engine = driver.engine, heads] db in
            if let audit { try await SQLAuditLog.append([audit], on: db, engine: engine, heads: heads) }
            return try await Self.appendRow(
                kind: .session, organization: organization, subject: subject, sampleCount: 0, payload: change.json,
                committedAt: change.at, on: db, engine: engine)
        }
        signal.committed(cursor)
        return cursor
    }

    private static func appendRow(
        kind: SampleEvent.Kind, organization: String, subject: String, sampleCount: Int, payload: String, committedAt: Int64,
        on db: any SQLDatabase, engine: SQLEngine
    ) async throws -> Int64 {
        if engine == .postgres { try await db.raw("SELECT pg_advisory_xact_lock(\(literal: appendLock))").run() }
        let row = try await db.raw(
            """
            INSERT INTO sample_events (organization, subject, sample_count, samples, committed_at, kind)
            VALUES (\(bind: organization), \(bind: subject), \(bind: sampleCount), \(bind: payload), \(bind: committedAt),
                    \(bind: kind.rawValue))
            RETURNING cursor
            """
        ).first()
        let cursor = try row?.decode(column: "cursor", as: Int64.self) ?? 0
        // Delivered to every listening node when (and only if) the transaction commits.
        if engine == .postgres { try await db.raw("SELECT pg_notify(\(bind: channel), \(bind: String(cursor)))").run() }
        return cursor
    }

    /// Events with `after < cursor <= upTo` (all subjects, or one; all kinds, or some), in cursor order, at most `limit`.
    public func events(
        after: Int64, upTo: Int64? = nil, subject: SubjectID? = nil, kinds: [SampleEvent.Kind]? = nil, limit: Int
    ) async throws -> [SampleEvent] {
        var sql = "SELECT \(Self.columns) FROM sample_events WHERE cursor > ?"
        var binds: [FastBind] = [.integer(after)]
        if let upTo {
            sql += " AND cursor <= ?"
            binds.append(.integer(upTo))
        }
        if let subject {
            sql += " AND subject = ?"
            binds.append(.text(subject.value))
        }
        if let kinds {
            sql += " AND kind IN (" + kinds.map { _ in "?" }.joined(separator: ", ") + ")"
            binds += kinds.map { .text($0.rawValue) }
        }
        sql += " ORDER BY cursor LIMIT \(limit)"
        return try await driver.rows(sql, binds).map(Self.event)
    }

    /// How many samples the events `after < cursor <= upTo` of `subject` carry (what a replay sends).
    public func sampleCount(subject: SubjectID, after: Int64, upTo: Int64) async throws -> Int {
        let sql = "SELECT COALESCE(SUM(sample_count), 0) FROM sample_events WHERE subject = ? AND cursor > ? AND cursor <= ? AND kind = ?"
        let rows = try await driver.rows(
            sql, [.text(subject.value), .integer(after), .integer(upTo), .text(SampleEvent.Kind.samples.rawValue)])
        return Int(rows.first?.first?.integer ?? 0)
    }

    /// Session changes committed at or after `time` (microseconds), in cursor order: what a starting node
    /// replays to know the sessions still alive.
    public func sessionChanges(since time: Int64) async throws -> [SampleEvent] {
        try await driver.rows(
            "SELECT \(Self.columns) FROM sample_events WHERE kind = ? AND committed_at >= ? ORDER BY cursor",
            [.text(SampleEvent.Kind.session.rawValue), .integer(time)]
        ).map(Self.event)
    }

    static let columns = "cursor, organization, subject, sample_count, samples, kind, committed_at"

    static func event(_ row: [FastValue]) throws -> SampleEvent {
        guard row.count == 7, let cursor = row[0].integer, let organization = row[1].text, let subject = row[2].text,
            let count = row[3].integer, let payload = row[4].text, let kind = row[5].text.flatMap(SampleEvent.Kind.init(rawValue:)),
            let committedAt = row[6].integer
        else { throw StorageError.corruptRow("unexpected sample event row") }
        return SampleEvent(
            cursor: cursor, organization: organization, subject: subject, sampleCount: Int(count), samplesJSON: payload, kind: kind,
            committedAt: committedAt)
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
    /// Calls `onCursor` for every cursor a node (this one too) announces on PostgreSQL and `onAudio` for
    /// every session audio frame another node publishes, holding one pooled connection for both
    /// channels; returns when cancelled, throws when the connection fails (the caller retries). On
    /// SQLite there is only this process, so it waits for cancellation.
    public func listen(
        onCursor: @escaping @Sendable (Int64) async -> Void, audioIgnoring node: String,
        onAudio: @escaping @Sendable ([UInt8]) async -> Void
    ) async throws {
        guard let postgres = driver as? PostgresDriver else {
            while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
            return
        }
        try await postgres.client.withConnection { connection in
            let cursors = try await connection.listen(Self.channel)
            let frames = try await connection.listen(SessionAudioBus.channel)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await notification in cursors {
                        if let cursor = Int64(notification.payload) { await onCursor(cursor) }
                    }
                }
                group.addTask {
                    var assembly = FrameAssembly()
                    for try await notification in frames {
                        if let frame = assembly.add(notification.payload, ignoring: node) { await onAudio(frame) }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }
}

extension SampleEventLog {
    /// Deletes the events committed before `time` (microseconds), oldest first, `batch` rows per
    /// transaction, and records the newest cursor deleted so a replay from before it is refused rather
    /// than silently incomplete. Returns how many rows went.
    public func prune(committedBefore time: Int64, batch: Int = 10_000) async throws -> Int {
        var deleted = 0
        while true {
            let removed = try await driver.write { db -> Int in
                let rows = try await db.raw(
                    "SELECT cursor FROM sample_events WHERE committed_at < \(bind: time) ORDER BY cursor LIMIT \(unsafeRaw: String(batch))"
                ).all()
                guard let last = try rows.last?.decode(column: "cursor", as: Int64.self) else { return 0 }
                try await db.raw("DELETE FROM sample_events WHERE cursor <= \(bind: last)").run()
                try await db.raw(
                    "UPDATE stream_outbox_state SET pruned_through = \(bind: last) WHERE id = 1 AND pruned_through < \(bind: last)"
                ).run()
                return rows.count
            }
            deleted += removed
            if removed < batch { return deleted }
        }
    }

    /// The newest cursor deleted by ``prune(committedBefore:batch:)`` (0: nothing yet): events up to it are gone.
    public func prunedThrough() async throws -> Int64 {
        try await driver.rows("SELECT pruned_through FROM stream_outbox_state WHERE id = 1", []).first?.first?.integer ?? 0
    }
}
