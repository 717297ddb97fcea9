import NIOConcurrencyHelpers
import SQLKit
import VigilCore

/// The audit trail on SQLite or PostgreSQL: one hash chain per organisation, its head in `audit_heads`.
public struct SQLAuditLog: Sendable {
    let driver: any DatabaseDriver
    let heads: AuditHeadCache
    static let columns = [
        "organization", "seq", "occurred_at", "actor_id", "actor_username", "actor_role", "action", "resource_type", "subject",
        "record_count", "outcome", "request_id", "client_address", "user_agent", "prev_hash", "hash",
    ]
    /// 16 binds a row: stays under both engines' bind limits.
    static let rowsPerStatement = 1000

    init(driver: any DatabaseDriver, heads: AuditHeadCache) {
        self.driver = driver
        self.heads = heads
    }

    /// Appends events in their own transaction (used by the group-commit writer).
    public func append(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        try await driver.write { [engine = driver.engine, heads] db in
            try await Self.append(events, on: db, engine: engine, heads: heads)
        }
    }

    /// Appends events inside the caller's transaction. Takes each organisation's head row lock (in a
    /// fixed order, so two transactions cannot deadlock) and holds it to commit: chains never fork,
    /// also with several Vigil nodes on one PostgreSQL.
    ///
    /// The common case is two statements per organisation: a conditional `UPDATE` of the head from the
    /// head this process last wrote (it locks the row and proves the head unchanged), then the `INSERT`.
    /// When another writer moved the head, the head is read under lock and the events are linked anew.
    static func append(_ events: [AuditEvent], on db: any SQLDatabase, engine: SQLEngine, heads: AuditHeadCache) async throws {
        let byOrganization = Dictionary(grouping: events, by: \.organization)
        for organization in byOrganization.keys.sorted() {
            let batch = byOrganization[organization]!
            var chained = [ChainedAuditEvent]()
            if let cached = heads[organization] {
                chained = AuditChain.link(batch, after: cached)
                let last = chained[chained.count - 1]
                let moved = try await WriteTransaction.execute(
                    "UPDATE audit_heads SET seq = ?, hash = ?, signature = ? WHERE organization = ? AND seq = ? AND hash = ? RETURNING seq",
                    [
                        .integer(last.sequence), .text(last.hash), heads.signature(organization, last), .text(organization),
                        .integer(cached.sequence), .text(cached.hash),
                    ]
                )
                if moved.isEmpty { chained = [] }
            }
            if chained.isEmpty {
                chained = AuditChain.link(batch, after: try await lockHead(organization, on: db, engine: engine))
                let last = chained[chained.count - 1]
                _ = try await WriteTransaction.execute(
                    "UPDATE audit_heads SET seq = ?, hash = ?, signature = ? WHERE organization = ?",
                    [.integer(last.sequence), .text(last.hash), heads.signature(organization, last), .text(organization)]
                )
            }
            for start in stride(from: 0, to: chained.count, by: rowsPerStatement) {
                let rows = chained[start..<min(start + rowsPerStatement, chained.count)]
                var binds = [FastBind]()
                binds.reserveCapacity(rows.count * columns.count)
                for event in rows { appendBindings(event, to: &binds) }
                _ = try await WriteTransaction.execute(multiRowInsert(into: "audit_events", columns: columns, rows: rows.count), binds)
            }
            // If this transaction rolls back, the next append finds the head unchanged and re-reads it.
            let last = chained[chained.count - 1]
            heads[organization] = (last.sequence, last.hash)
        }
    }

    private static func lockHead(
        _ organization: String, on db: any SQLDatabase, engine: SQLEngine
    ) async throws -> (sequence: Int64, hash: String) {
        try await db.raw(
            """
            INSERT INTO audit_heads (organization, seq, hash) VALUES (\(bind: organization), 0, \(bind: AuditChain.genesis))
            ON CONFLICT (organization) DO NOTHING
            """
        ).run()
        // SQLite has a single writer already; PostgreSQL needs the row lock.
        let lock: SQLQueryString = engine == .postgres ? " FOR UPDATE" : ""
        let row = try await db.raw("SELECT seq, hash FROM audit_heads WHERE organization = \(bind: organization)" + lock).first()
        guard let row else { throw StorageError.migrationFailed("audit head for \(organization) is missing") }
        return (try row.decode(column: "seq", as: Int64.self), try row.decode(column: "hash", as: String.self))
    }

    /// One row's values in ``columns`` order; absent optionals are `NULL`s.
    static func appendBindings(_ chained: ChainedAuditEvent, to binds: inout [FastBind]) {
        let event = chained.event
        func optional(_ value: String?) -> FastBind { value.map(FastBind.text) ?? .null }
        binds += [
            .text(event.organization), .integer(chained.sequence), .integer(event.occurredAt), optional(event.actor.userID),
            optional(event.actor.username), optional(event.actor.role), .text(event.action.rawValue), .text(event.resourceType),
            optional(event.subject), .integer(Int64(event.recordCount)), .text(event.outcome.rawValue), .text(event.origin.requestID),
            optional(event.origin.clientAddress), optional(event.origin.userAgent), .text(chained.previousHash), .text(chained.hash),
        ]
    }

    /// An event from a fast-path row in ``columns`` order. An unknown action or outcome can only come
    /// from an edit; it is kept visible to the verifier as a hash that cannot match.
    static func chained(from row: [FastValue]) throws -> ChainedAuditEvent {
        guard row.count == columns.count, let organization = row[0].text, let sequence = row[1].integer, let occurredAt = row[2].integer,
            let actionName = row[6].text, let resourceType = row[7].text, let recordCount = row[9].integer,
            let outcomeName = row[10].text, let requestID = row[11].text, let previousHash = row[14].text, var hash = row[15].text
        else { throw StorageError.corruptRow("unexpected audit row shape") }
        let action = AuditEvent.Action(rawValue: actionName)
        let outcome = AuditEvent.Outcome(rawValue: outcomeName)
        if action == nil || outcome == nil { hash = "unknown action or outcome: \(actionName)/\(outcomeName)" }
        let event = AuditEvent(
            organization: organization,
            actor: .init(userID: row[3].text, username: row[4].text, role: row[5].text),
            action: action ?? .auditRead,
            resourceType: resourceType,
            subject: row[8].text,
            recordCount: Int(recordCount),
            outcome: outcome ?? .error,
            occurredAt: occurredAt,
            origin: .init(requestID: requestID, clientAddress: row[12].text, userAgent: row[13].text)
        )
        return ChainedAuditEvent(event: event, sequence: sequence, previousHash: previousHash, hash: hash)
    }
}

extension SQLAuditLog: AuditRepository {
    public func events(_ query: AuditQuery) async throws -> [ChainedAuditEvent] {
        var sql = "SELECT \(Self.columns.joined(separator: ", ")) FROM audit_events WHERE organization = ?"
        var binds: [FastBind] = [.text(query.organization)]
        func filter(_ condition: String, _ bind: FastBind?) {
            guard let bind else { return }
            sql += " AND \(condition) ?"
            binds.append(bind)
        }
        filter("actor_username =", query.actor.map(FastBind.text))
        filter("subject =", query.subject.map(FastBind.text))
        filter("action =", query.action.map { .text($0.rawValue) })
        filter("outcome =", query.outcome.map { .text($0.rawValue) })
        filter("request_id =", query.requestID.map(FastBind.text))
        filter("occurred_at >=", query.from.map(FastBind.integer))
        filter("occurred_at <", query.to.map(FastBind.integer))
        filter("seq >", query.afterSequence.map(FastBind.integer))
        sql += " ORDER BY seq LIMIT \(query.limit + 1)"
        return try await driver.rows(sql, binds).map(Self.chained(from:))
    }
}

/// The chain head this process last wrote, per organisation: lets an append skip reading the head.
/// Never trusted blindly — the conditional `UPDATE` in ``SQLAuditLog/append(_:on:engine:heads:)``
/// checks it against the stored head.
///
/// It also carries the head signer: every head written is signed with it (`NULL` without a key).
final class AuditHeadCache: Sendable {
    private let heads = NIOLockedValueBox([String: (sequence: Int64, hash: String)]())
    let signer: AuditHeadSigner?

    init(signer: AuditHeadSigner? = nil) {
        self.signer = signer
    }

    /// The signature of a new head, as a bind.
    func signature(_ organization: String, _ head: ChainedAuditEvent) -> FastBind {
        signer.map { .text($0.sign(organization: organization, sequence: head.sequence, hash: head.hash)) } ?? .null
    }

    subscript(organization: String) -> (sequence: Int64, hash: String)? {
        get { heads.withLockedValue { $0[organization] } }
        set { heads.withLockedValue { $0[organization] = newValue } }
    }
}
