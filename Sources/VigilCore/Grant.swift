/// How much a grant allows.
public enum GrantScope: String, Sendable, CaseIterable {
    case read
    case readWrite = "read_write"
}

/// Consent for a clinician, admin or care team to reach one subject's health data.
public struct Grant: Sendable, Equatable {
    public var id: String
    public var organization: String
    public var subject: String
    /// A username, or `team:<id>` for a care team.
    public var grantee: String
    public var scope: GrantScope
    /// Seconds since 1970; `nil`: until revoked.
    public var expiresAt: Int64?
    public var createdAt: Int64
    public var createdBy: String
    public var revokedAt: Int64?
    public var revokedBy: String?

    public init(
        id: String,
        organization: String,
        subject: String,
        grantee: String,
        scope: GrantScope,
        expiresAt: Int64?,
        createdAt: Int64,
        createdBy: String,
        revokedAt: Int64? = nil,
        revokedBy: String? = nil
    ) {
        self.id = id
        self.organization = organization
        self.subject = subject
        self.grantee = grantee
        self.scope = scope
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
    }

    /// In force at `now` (seconds): not revoked and not expired.
    public func isActive(at now: Int64) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }

    public static let teamPrefix = "team:"
}

/// What the access policy needs to know about a subject, from the caller's point of view.
public struct SubjectFacts: Sendable, Equatable {
    /// The organisation of the patient whose subject this is; `nil` if no such patient exists.
    public var organization: String?
    /// Grants on this subject whose grantee is the caller or one of the caller's care teams.
    public var callerGrants: [Grant]

    public init(organization: String?, callerGrants: [Grant] = []) {
        self.organization = organization
        self.callerGrants = callerGrants
    }
}
