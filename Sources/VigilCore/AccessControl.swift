import Foundation

/// Looks up what ``AccessPolicy`` needs about a subject.
public protocol AccessFactsRepository: Sendable {
    func facts(subject: SubjectID, caller: Identity) async throws -> SubjectFacts
    /// The organisation of an active patient named `subject`, or `nil`.
    func patientOrganization(_ subject: SubjectID) async throws -> String?
}

/// The one gate every access to a subject passes: loads the facts, asks the policy, and on a refusal
/// records a `denied` audit event before throwing the matching error.
public struct AccessControl: Sendable {
    public let facts: any AccessFactsRepository
    public let audit: any AuditSink
    public let policy: AccessPolicy
    public let clock: @Sendable () -> Date

    public init(
        facts: any AccessFactsRepository, audit: any AuditSink, policy: AccessPolicy = AccessPolicy(),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.facts = facts
        self.audit = audit
        self.policy = policy
        self.clock = clock
    }

    /// Microseconds since 1970 now.
    public var nowMicroseconds: Int64 { Int64((clock().timeIntervalSince1970 * 1_000_000).rounded()) }

    /// Returns the subject's organisation when allowed; otherwise audits the refusal and throws.
    @discardableResult
    public func authorize(
        _ request: AccessRequest, _ action: SubjectAction, subject: SubjectID, auditAs auditAction: AuditEvent.Action, resourceType: String
    )
        async throws -> String
    {
        let facts = try await facts.facts(subject: subject, caller: request.identity)
        let decision = policy.decide(request.identity, action, subject: subject, facts: facts, now: Int64(clock().timeIntervalSince1970))
        if decision == .allow, let organization = facts.organization { return organization }
        try await audit.record(
            request.event(auditAction, resourceType: resourceType, subject: subject.value, outcome: .denied, at: nowMicroseconds)
        )
        switch decision {
        case .forbid(let reason): throw VigilError(.forbidden, code: "forbidden", message: reason)
        default: throw VigilError.subjectNotFound
        }
    }
}

extension AccessControl {
    /// Whether `identity` may do `action` on `subject` now, without auditing: for re-checking a live
    /// stream that was authorised (and audited) when it started.
    public func permits(_ identity: Identity, _ action: SubjectAction, subject: SubjectID) async throws -> Bool {
        let facts = try await facts.facts(subject: subject, caller: identity)
        let decision = policy.decide(identity, action, subject: subject, facts: facts, now: Int64(clock().timeIntervalSince1970))
        return decision == .allow && facts.organization != nil
    }
}

/// The caller of one request and where it came from: what every audit event of the request records.
public struct AccessRequest: Sendable {
    public var identity: Identity
    public var origin: AuditEvent.Origin

    public init(identity: Identity, origin: AuditEvent.Origin) {
        self.identity = identity
        self.origin = origin
    }

    /// An event in the caller's organisation.
    public func event(
        _ action: AuditEvent.Action,
        resourceType: String,
        subject: String?,
        count: Int = 0,
        outcome: AuditEvent.Outcome,
        at time: Int64
    ) -> AuditEvent {
        AuditEvent(
            organization: identity.organization,
            actor: AuditEvent.Actor(identity),
            action: action,
            resourceType: resourceType,
            subject: subject,
            recordCount: count,
            outcome: outcome,
            occurredAt: time,
            origin: origin
        )
    }
}
