import Foundation

/// Consent grants of a subject: created, listed and revoked by the patient itself or an admin of its
/// organisation. Every change commits its audit event with it.
public struct GrantService: Sendable {
    public let grants: any GrantRepository
    public let users: any UserDirectory
    public let teams: any CareTeamRepository
    public let access: AccessControl
    static let resourceType = "Consent"

    public init(grants: any GrantRepository, users: any UserDirectory, teams: any CareTeamRepository, access: AccessControl) {
        self.grants = grants
        self.users = users
        self.teams = teams
        self.access = access
    }

    /// The body of `POST …/grants`, as parsed JSON.
    public func create(_ body: JSONValue, subject: SubjectID, by request: AccessRequest) async throws -> Grant {
        let organization = try await access.authorize(
            request, .manageGrants, subject: subject, auditAs: .grantCreate, resourceType: Self.resourceType)
        let now = access.clock()
        var problems = [ErrorDetail]()
        var grantee = ""
        switch body["grantee"] {
        case .string(let name)? where !name.isEmpty: grantee = name
        default: problems.append(ErrorDetail(index: nil, field: "grantee", reason: "grantee is required: a username or team:<id>"))
        }
        var scope = GrantScope.read
        switch body["scope"] {
        case .string(let name)? where GrantScope(rawValue: name) != nil: scope = GrantScope(rawValue: name)!
        default: problems.append(ErrorDetail(index: nil, field: "scope", reason: "scope must be read or read_write"))
        }
        var expiresAt: Int64?
        switch body["expires_at"] {
        case nil, .null?: break
        case .string(let text)?:
            if let instant = try? Timestamp(rfc3339: text), instant.microseconds > Int64(now.timeIntervalSince1970 * 1_000_000) {
                expiresAt = instant.microseconds / 1_000_000
            } else {
                problems.append(
                    ErrorDetail(index: nil, field: "expires_at", reason: "expires_at must be an RFC 3339 timestamp in the future"))
            }
        default:
            problems.append(ErrorDetail(index: nil, field: "expires_at", reason: "expires_at must be an RFC 3339 timestamp in the future"))
        }
        if !grantee.isEmpty, try await includesCreator(grantee, organization: organization, creator: request.identity.username.value) {
            problems.append(
                ErrorDetail(index: nil, field: "grantee", reason: "you cannot grant access to yourself or to a care team you belong to"))
        } else if !grantee.isEmpty, !(try await isValidGrantee(grantee, organization: organization)) {
            problems.append(
                ErrorDetail(
                    index: nil, field: "grantee",
                    reason: "grantee must be a clinician or admin of the organisation, or team:<id> of one of its care teams")
            )
        }
        guard problems.isEmpty else {
            try await access.audit.record(
                request.event(
                    .grantCreate, resourceType: Self.resourceType, subject: subject.value, outcome: .error, at: access.nowMicroseconds)
            )
            throw VigilError(.validation, code: "validation_failed", message: "the grant is invalid", details: problems)
        }
        let grant = Grant(
            id: UUID().uuidString.lowercased(),
            organization: organization,
            subject: subject.value,
            grantee: grantee,
            scope: scope,
            expiresAt: expiresAt,
            createdAt: Int64(now.timeIntervalSince1970),
            createdBy: request.identity.username.value
        )
        let event = request.event(
            .grantCreate, resourceType: Self.resourceType, subject: subject.value, count: 1, outcome: .success, at: access.nowMicroseconds)
        try await grants.createGrant(grant, audit: event)
        return grant
    }

    public func list(subject: SubjectID, by request: AccessRequest) async throws -> [Grant] {
        try await access.authorize(request, .manageGrants, subject: subject, auditAs: .grantList, resourceType: Self.resourceType)
        let list = try await grants.grants(subject: subject)
        try await access.audit.record(
            request.event(
                .grantList, resourceType: Self.resourceType, subject: subject.value, count: list.count, outcome: .success,
                at: access.nowMicroseconds)
        )
        return list
    }

    public func revoke(id: String, subject: SubjectID, by request: AccessRequest) async throws {
        try await access.authorize(request, .manageGrants, subject: subject, auditAs: .grantRevoke, resourceType: Self.resourceType)
        let event = request.event(
            .grantRevoke, resourceType: Self.resourceType, subject: subject.value, count: 1, outcome: .success, at: access.nowMicroseconds)
        let found = try await grants.revokeGrant(
            id: id,
            subject: subject,
            by: request.identity.username.value,
            at: Int64(access.clock().timeIntervalSince1970),
            audit: event
        )
        guard found else {
            try await access.audit.record(
                request.event(
                    .grantRevoke, resourceType: Self.resourceType, subject: subject.value, outcome: .error, at: access.nowMicroseconds)
            )
            throw VigilError(.notFound, code: "not_found", message: "grant not found")
        }
    }

    /// Whether the grant would reach its own creator (an admin granting itself, or a team it is in).
    private func includesCreator(_ grantee: String, organization: String, creator: String) async throws -> Bool {
        if grantee.hasPrefix(Grant.teamPrefix) {
            let id = String(grantee.dropFirst(Grant.teamPrefix.count))
            return try await teams.careTeam(id: id, organization: organization)?.members.contains(creator) ?? false
        }
        return grantee == creator
    }

    private func isValidGrantee(_ grantee: String, organization: String) async throws -> Bool {
        if grantee.hasPrefix(Grant.teamPrefix) {
            let id = String(grantee.dropFirst(Grant.teamPrefix.count))
            return try await teams.careTeam(id: id, organization: organization) != nil
        }
        guard let user = try await users.user(username: grantee, organization: organization) else { return false }
        return !user.disabled && (user.role == .clinician || user.role == .admin)
    }
}
