/// The audit trail as auditors read it: their own organisation's events, filtered and paged. Reading
/// the trail is itself audited.
public struct AuditTrailService: Sendable {
    public let repository: any AuditRepository
    public let audit: any AuditSink
    let clock: @Sendable () -> Int64

    public init(repository: any AuditRepository, audit: any AuditSink, nowMicroseconds: @escaping @Sendable () -> Int64) {
        self.repository = repository
        self.audit = audit
        self.clock = nowMicroseconds
    }

    public struct Page: Sendable {
        public var events: [ChainedAuditEvent]
        public var nextCursor: String?
    }

    public func page(_ parameters: [String: String], by request: AccessRequest) async throws -> Page {
        guard request.identity.role == .auditor else {
            try await audit.record(request.event(.auditRead, resourceType: "AuditEvent", subject: nil, outcome: .denied, at: clock()))
            throw VigilError(.forbidden, code: "forbidden", message: "this needs the role auditor")
        }
        var query = AuditQuery(organization: request.identity.organization)
        query.actor = parameters["actor"]
        query.subject = parameters["subject"]
        query.requestID = parameters["request_id"]
        if let raw = parameters["action"] {
            guard let action = AuditEvent.Action(rawValue: raw) else {
                throw VigilError.invalidParameter(
                    "action must be one of: " + AuditEvent.Action.allCases.map(\.rawValue).joined(separator: ", "),
                    field: "action"
                )
            }
            query.action = action
        }
        if let raw = parameters["outcome"] {
            guard let outcome = AuditEvent.Outcome(rawValue: raw) else {
                throw VigilError.invalidParameter("outcome must be one of: success, denied, error", field: "outcome")
            }
            query.outcome = outcome
        }
        for (name, keyPath) in [("from", \AuditQuery.from), ("to", \AuditQuery.to)] {
            guard let raw = parameters[name] else { continue }
            guard let instant = try? Timestamp(rfc3339: raw) else {
                throw VigilError.invalidParameter("\(name) must be an RFC 3339 timestamp with a UTC offset (send '+' as %2B)", field: name)
            }
            query[keyPath: keyPath] = instant.microseconds
        }
        if let raw = parameters["limit"] {
            guard let limit = Int(raw), SampleQuery.limitRange.contains(limit) else {
                throw VigilError.invalidParameter("limit must be an integer within 1...1000", field: "limit")
            }
            query.limit = limit
        }
        let fingerprint = OpaqueCursor.fingerprint([
            query.actor ?? "", query.subject ?? "", query.requestID ?? "", query.action?.rawValue ?? "", query.outcome?.rawValue ?? "",
            query.from.map(String.init) ?? "", query.to.map(String.init) ?? "", String(query.limit),
        ])
        if let raw = parameters["cursor"] {
            let parts = try OpaqueCursor.decode(raw)
            guard parts.count == 3, parts[0] == "a1", let sequence = Int64(parts[1]) else { throw OpaqueCursor.invalid }
            guard parts[2] == fingerprint else { throw OpaqueCursor.otherQuery }
            query.afterSequence = sequence
        }
        var events = try await repository.events(query)
        var next: String?
        if events.count > query.limit {
            events.removeLast(events.count - query.limit)
            next = OpaqueCursor.encode(["a1", String(events[events.count - 1].sequence), fingerprint])
        }
        try await audit.record(
            request.event(
                .auditRead, resourceType: "AuditEvent", subject: query.subject, count: events.count, outcome: .success, at: clock()))
        return Page(events: events, nextCursor: next)
    }
}
