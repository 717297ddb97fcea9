import SQLKit
import VigilCore

/// The audit trail on SQLite or PostgreSQL: one hash chain per organisation, its head in `audit_heads`.
public struct SQLAuditLog: Sendable {
    let driver: any DatabaseDriver
    static let columns = [
        "organization", "seq", "occurred_at", "actor_id", "actor_username", "actor_role", "action", "resource_type", "subject",
        "record_count", "outcome", "request_id", "client_address", "user_agent", "prev_hash", "hash",
    ]
    /// 16 binds a row: stays under both engines' bind limits.
    static let rowsPerStatement = 1000

    public init(driver: any DatabaseDriver) {
        self.driver = driver
    }

    /// Appends events in their own transaction (used by the group-commit writer).
    public func append(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        try await driver.write { [engine = driver.engine] db in
            try await Self.append(events, on: db, engine: engine)
        }
    }

    /// Appends events inside the caller's transaction. Takes each organisation's head row lock (in a
    /// fixed order, so two transactions cannot deadlock) and holds it to commit: chains never fork,
    /// also with several Vigil nodes on one PostgreSQL.
    static func append(_ events: [AuditEvent], on db: any SQLDatabase, engine: SQLEngine) async throws {
        let byOrganization = Dictionary(grouping: events, by: \.organization)
        for organization in byOrganization.keys.sorted() {
            let head = try await lockHead(organization, on: db, engine: engine)
            let chained = AuditChain.link(byOrganization[organization]!, after: head)
            for start in stride(from: 0, to: chained.count, by: rowsPerStatement) {
                let builder = db.insert(into: "audit_events").columns(columns)
                for event in chained[start..<min(start + rowsPerStatement, chained.count)] {
                    builder.values(bindings(event))
                }
                try await builder.run()
            }
            let last = chained[chained.count - 1]
            try await db.raw(
                "UPDATE audit_heads SET seq = \(bind: last.sequence), hash = \(bind: last.hash) WHERE organization = \(bind: organization)"
            ).run()
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

    /// One row's values; absent optionals are literal `NULL`s (see ``SQLSampleRepository/bindings(_:subject:)``).
    static func bindings(_ chained: ChainedAuditEvent) -> [any SQLExpression] {
        let event = chained.event
        func optional(_ value: String?) -> any SQLExpression { value.map { SQLBind($0) } ?? SQLLiteral.null }
        return [
            SQLBind(event.organization), SQLBind(chained.sequence), SQLBind(event.occurredAt), optional(event.actor.userID),
            optional(event.actor.username), optional(event.actor.role), SQLBind(event.action.rawValue), SQLBind(event.resourceType),
            optional(event.subject), SQLBind(Int64(event.recordCount)), SQLBind(event.outcome.rawValue), SQLBind(event.origin.requestID),
            optional(event.origin.clientAddress), optional(event.origin.userAgent), SQLBind(chained.previousHash), SQLBind(chained.hash),
        ]
    }

    static func chained(from row: any SQLRow) throws -> ChainedAuditEvent {
        let actionName = try row.decode(column: "action", as: String.self)
        let outcomeName = try row.decode(column: "outcome", as: String.self)
        // An unknown action or outcome can only come from an edit: keep it visible to the verifier.
        let event = AuditEvent(
            organization: try row.decode(column: "organization", as: String.self),
            actor: .init(
                userID: try row.decode(column: "actor_id", as: String?.self),
                username: try row.decode(column: "actor_username", as: String?.self),
                role: try row.decode(column: "actor_role", as: String?.self)
            ),
            action: AuditEvent.Action(rawValue: actionName) ?? .auditRead,
            resourceType: try row.decode(column: "resource_type", as: String.self),
            subject: try row.decode(column: "subject", as: String?.self),
            recordCount: try row.decode(column: "record_count", as: Int.self),
            outcome: AuditEvent.Outcome(rawValue: outcomeName) ?? .error,
            occurredAt: try row.decode(column: "occurred_at", as: Int64.self),
            origin: .init(
                requestID: try row.decode(column: "request_id", as: String.self),
                clientAddress: try row.decode(column: "client_address", as: String?.self),
                userAgent: try row.decode(column: "user_agent", as: String?.self)
            )
        )
        var hash = try row.decode(column: "hash", as: String.self)
        if AuditEvent.Action(rawValue: actionName) == nil || AuditEvent.Outcome(rawValue: outcomeName) == nil {
            hash = "unknown action or outcome: \(actionName)/\(outcomeName)"
        }
        return ChainedAuditEvent(
            event: event,
            sequence: try row.decode(column: "seq", as: Int64.self),
            previousHash: try row.decode(column: "prev_hash", as: String.self),
            hash: hash
        )
    }

    /// Verifies every organisation's chain; returns per organisation the count and head hash, or the first break.
    public func verify(pageSize: Int = 10_000) async throws -> [AuditChainVerifier] {
        let heads = try await driver.read { db in
            try await db.raw("SELECT organization, seq, hash FROM audit_heads").all().map {
                (
                    try $0.decode(column: "organization", as: String.self), try $0.decode(column: "seq", as: Int64.self),
                    try $0.decode(column: "hash", as: String.self)
                )
            }
        }
        let eventOrganizations = try await driver.read { db in
            try await db.raw("SELECT DISTINCT organization FROM audit_events").all().map {
                try $0.decode(column: "organization", as: String.self)
            }
        }
        var results = [AuditChainVerifier]()
        for organization in Set(heads.map(\.0) + eventOrganizations).sorted() {
            var verifier = AuditChainVerifier(organization: organization)
            // Events are read only up to the head read above: later appends by a running server are not
            // part of this snapshot (the head and its events commit together).
            let limit = heads.first { $0.0 == organization }?.1 ?? Int64.max
            var after: Int64 = -1
            while verifier.firstBreak == nil {
                let page = try await driver.read { [after] db in
                    try await db.raw(
                        """
                        SELECT \(unsafeRaw: Self.columns.joined(separator: ", ")) FROM audit_events
                        WHERE organization = \(bind: organization) AND seq > \(bind: after) AND seq <= \(bind: limit)
                        ORDER BY seq LIMIT \(literal: pageSize)
                        """
                    ).all().map(Self.chained(from:))
                }
                for event in page { verifier.consume(event) }
                guard let last = page.last, page.count == pageSize else { break }
                after = last.sequence
            }
            let head = heads.first { $0.0 == organization }
            verifier.finish(recordedHead: head.map { ($0.1, $0.2) })
            results.append(verifier)
        }
        return results
    }
}

extension SQLAuditLog: AuditRepository {
    public func events(_ query: AuditQuery) async throws -> [ChainedAuditEvent] {
        var sql: SQLQueryString = """
            SELECT \(unsafeRaw: Self.columns.joined(separator: ", ")) FROM audit_events WHERE organization = \(bind: query.organization)
            """
        if let actor = query.actor { sql += " AND actor_username = \(bind: actor)" }
        if let subject = query.subject { sql += " AND subject = \(bind: subject)" }
        if let action = query.action { sql += " AND action = \(bind: action.rawValue)" }
        if let outcome = query.outcome { sql += " AND outcome = \(bind: outcome.rawValue)" }
        if let requestID = query.requestID { sql += " AND request_id = \(bind: requestID)" }
        if let from = query.from { sql += " AND occurred_at >= \(bind: from)" }
        if let to = query.to { sql += " AND occurred_at < \(bind: to)" }
        if let after = query.afterSequence { sql += " AND seq > \(bind: after)" }
        sql += " ORDER BY seq LIMIT \(literal: query.limit + 1)"
        let statement = sql
        return try await driver.read { db in try await db.raw(statement).all().map(Self.chained(from:)) }
    }
}
