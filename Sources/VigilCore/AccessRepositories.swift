/// A named group of clinicians or admins of one organisation; grants to `team:<id>` reach every member.
public struct CareTeam: Sendable, Equatable {
    public var id: String
    public var organization: String
    public var name: String
    public var members: [String]
    public var createdAt: Int64
    public var createdBy: String

    public init(id: String, organization: String, name: String, members: [String], createdAt: Int64, createdBy: String) {
        self.id = id
        self.organization = organization
        self.name = name
        self.members = members
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}

/// Grants. Every change commits its audit event in the same transaction.
public protocol GrantRepository: Sendable {
    /// Stores a grant, ending any active grant of the same subject to the same grantee.
    func createGrant(_ grant: Grant, audit: AuditEvent) async throws
    /// Every grant of the subject, expired and revoked ones included.
    func grants(subject: SubjectID) async throws -> [Grant]
    /// Revokes a grant of the subject; `false` if it does not exist.
    func revokeGrant(id: String, subject: SubjectID, by revoker: String, at time: Int64, audit: AuditEvent) async throws -> Bool
}

public protocol CareTeamRepository: Sendable {
    func createCareTeam(_ team: CareTeam, audit: AuditEvent) async throws
    func careTeams(organization: String) async throws -> [CareTeam]
    /// One team of the organisation, or `nil`.
    func careTeam(id: String, organization: String) async throws -> CareTeam?
    func replaceMembers(team: String, members: [String], audit: AuditEvent) async throws
    func deleteCareTeam(_ team: String, audit: AuditEvent) async throws
}

/// A page request of an organisation's audit trail.
public struct AuditQuery: Sendable, Equatable {
    public var organization: String
    public var actor: String?
    public var subject: String?
    public var action: AuditEvent.Action?
    public var outcome: AuditEvent.Outcome?
    public var requestID: String?
    /// Microseconds, inclusive.
    public var from: Int64?
    /// Microseconds, exclusive.
    public var to: Int64?
    public var limit: Int
    /// Return events with a larger sequence number.
    public var afterSequence: Int64?

    public init(organization: String, limit: Int = 100) {
        self.organization = organization
        self.limit = limit
    }
}

public protocol AuditRepository: Sendable {
    /// Appends events in one transaction.
    func append(_ events: [AuditEvent]) async throws
    /// Up to `limit + 1` events matching the query, by sequence.
    func events(_ query: AuditQuery) async throws -> [ChainedAuditEvent]
}

/// A user as listed to admins (no password hash).
public struct UserSummary: Sendable, Equatable {
    public var id: String
    public var username: String
    public var role: Role
    public var organization: String
    public var createdAt: Int64
    public var disabled: Bool

    public init(id: String, username: String, role: Role, organization: String, createdAt: Int64, disabled: Bool) {
        self.id = id
        self.username = username
        self.role = role
        self.organization = organization
        self.createdAt = createdAt
        self.disabled = disabled
    }
}

public protocol UserDirectory: Sendable {
    func users(organization: String) async throws -> [UserSummary]
    func user(username: String, organization: String) async throws -> UserSummary?
    /// Creates a user and commits its audit event with it; throws a `conflict` if the name is taken.
    func createUser(_ user: UserRecord, audit: AuditEvent) async throws
    /// Disables a user and ends its logins; `false` if there is no such user in the organisation.
    func disableUser(username: String, organization: String, at time: Int64, audit: AuditEvent) async throws -> Bool
}
