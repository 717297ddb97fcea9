import Foundation

/// Users and care teams of an organisation, managed by its admins. Nothing crosses organisations: an
/// admin sees and changes only its own, and a name from another organisation is "not found".
public struct DirectoryService: Sendable {
    public let users: any UserDirectory
    public let teams: any CareTeamRepository
    public let audit: any AuditSink
    public let hashPassword: @Sendable (String) async throws -> String
    public let clock: @Sendable () -> Date

    public init(
        users: any UserDirectory,
        teams: any CareTeamRepository,
        audit: any AuditSink,
        hashPassword: @escaping @Sendable (String) async throws -> String,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.users = users
        self.teams = teams
        self.audit = audit
        self.hashPassword = hashPassword
        self.clock = clock
    }

    var now: Int64 { Int64((clock().timeIntervalSince1970 * 1_000_000).rounded()) }

    /// Throws `403` (audited) unless the caller has one of `roles`.
    func require(_ roles: Set<Role>, _ request: AccessRequest, _ action: AuditEvent.Action, _ resourceType: String) async throws {
        guard !roles.contains(request.identity.role) else { return }
        try await audit.record(request.event(action, resourceType: resourceType, subject: nil, outcome: .denied, at: now))
        throw VigilError(
            .forbidden, code: "forbidden", message: "this needs the role \(roles.map(\.rawValue).sorted().joined(separator: " or "))")
    }

    // MARK: Users

    public func listUsers(by request: AccessRequest) async throws -> [UserSummary] {
        try await require([.admin], request, .userList, "Person")
        let list = try await users.users(organization: request.identity.organization)
        try await audit.record(
            request.event(.userList, resourceType: "Person", subject: nil, count: list.count, outcome: .success, at: now))
        return list
    }

    public func user(_ username: String, by request: AccessRequest) async throws -> UserSummary {
        try await require([.admin], request, .userRead, "Person")
        guard let user = try await users.user(username: username, organization: request.identity.organization) else {
            try await audit.record(request.event(.userRead, resourceType: "Person", subject: nil, outcome: .error, at: now))
            throw VigilError(.notFound, code: "not_found", message: "user not found")
        }
        try await audit.record(
            request.event(
                .userRead, resourceType: "Person", subject: user.role == .patient ? user.username : nil, count: 1, outcome: .success,
                at: now))
        return user
    }

    public func createUser(_ body: JSONValue, by request: AccessRequest) async throws -> UserSummary {
        try await require([.admin], request, .userCreate, "Person")
        var problems = [ErrorDetail]()
        guard case .string(let name)? = body["username"], let username = Username(name) else {
            problems.append(ErrorDetail(index: nil, field: "username", reason: "username must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}"))
            return try await invalid(problems, request)
        }
        var role = Role.patient
        if case .string(let raw)? = body["role"], let parsed = Role(rawValue: raw) {
            role = parsed
        } else {
            problems.append(ErrorDetail(index: nil, field: "role", reason: "role must be one of patient, clinician, admin, auditor"))
        }
        var password = ""
        if case .string(let raw)? = body["password"], PasswordPolicy.isAcceptable(raw) {
            password = raw
        } else {
            problems.append(ErrorDetail(index: nil, field: "password", reason: PasswordPolicy.reason))
        }
        guard problems.isEmpty else { return try await invalid(problems, request) }
        let record = UserRecord(
            id: UUID().uuidString.lowercased(),
            username: username,
            passwordHash: try await hashPassword(password),
            role: role,
            organization: request.identity.organization
        )
        let event = request.event(
            .userCreate, resourceType: "Person", subject: role == .patient ? username.value : nil, count: 1, outcome: .success, at: now)
        do {
            try await users.createUser(record, audit: event)
        } catch let error as VigilError {
            try await audit.record(request.event(.userCreate, resourceType: "Person", subject: nil, outcome: .error, at: now))
            throw error
        }
        return UserSummary(
            id: record.id,
            username: username.value,
            role: role,
            organization: record.organization,
            createdAt: Int64(clock().timeIntervalSince1970),
            disabled: false
        )
    }

    public func disableUser(_ username: String, by request: AccessRequest) async throws {
        try await require([.admin], request, .userDisable, "Person")
        // An admin disabling itself would lock the organisation out of its own administration.
        guard username != request.identity.username.value else {
            try await audit.record(request.event(.userDisable, resourceType: "Person", subject: nil, outcome: .error, at: now))
            throw VigilError(
                .validation, code: "validation_failed", message: "you cannot disable yourself",
                details: [ErrorDetail(index: nil, field: "username", reason: "you cannot disable yourself")])
        }
        let event = request.event(.userDisable, resourceType: "Person", subject: nil, count: 1, outcome: .success, at: now)
        let found = try await users.disableUser(
            username: username,
            organization: request.identity.organization,
            at: Int64(clock().timeIntervalSince1970),
            audit: event
        )
        guard found else {
            try await audit.record(request.event(.userDisable, resourceType: "Person", subject: nil, outcome: .error, at: now))
            throw VigilError(.notFound, code: "not_found", message: "user not found")
        }
    }

    private func invalid<T>(_ problems: [ErrorDetail], _ request: AccessRequest) async throws -> T {
        try await audit.record(request.event(.userCreate, resourceType: "Person", subject: nil, outcome: .error, at: now))
        throw VigilError(.validation, code: "validation_failed", message: "the user is invalid", details: problems)
    }

    // MARK: Care teams

    /// Admins see every team of the organisation; clinicians the teams they belong to.
    public func careTeams(by request: AccessRequest) async throws -> [CareTeam] {
        try await require([.admin, .clinician], request, .careTeamRead, "Group")
        var list = try await teams.careTeams(organization: request.identity.organization)
        if request.identity.role == .clinician { list = list.filter { $0.members.contains(request.identity.username.value) } }
        try await audit.record(
            request.event(.careTeamRead, resourceType: "Group", subject: nil, count: list.count, outcome: .success, at: now))
        return list
    }

    public func createCareTeam(_ body: JSONValue, by request: AccessRequest) async throws -> CareTeam {
        try await require([.admin], request, .careTeamCreate, "Group")
        guard case .string(let name)? = body["name"], (1...200).contains(name.count) else {
            try await audit.record(request.event(.careTeamCreate, resourceType: "Group", subject: nil, outcome: .error, at: now))
            throw VigilError(
                .validation,
                code: "validation_failed",
                message: "the care team is invalid",
                details: [ErrorDetail(index: nil, field: "name", reason: "name must be 1 to 200 characters")]
            )
        }
        let members = try await validMembers(body["members"], request, .careTeamCreate)
        let team = CareTeam(
            id: UUID().uuidString.lowercased(),
            organization: request.identity.organization,
            name: name,
            members: members,
            createdAt: Int64(clock().timeIntervalSince1970),
            createdBy: request.identity.username.value
        )
        try await teams.createCareTeam(
            team, audit: request.event(.careTeamCreate, resourceType: "Group", subject: nil, count: 1, outcome: .success, at: now))
        return team
    }

    public func replaceMembers(team id: String, _ body: JSONValue, by request: AccessRequest) async throws -> CareTeam {
        try await require([.admin], request, .careTeamUpdate, "Group")
        guard var team = try await teams.careTeam(id: id, organization: request.identity.organization) else {
            try await audit.record(request.event(.careTeamUpdate, resourceType: "Group", subject: nil, outcome: .error, at: now))
            throw VigilError(.notFound, code: "not_found", message: "care team not found")
        }
        // Replacing members needs the list itself: a body without it must not empty the team.
        team.members = try await validMembers(body["members"] ?? .string("missing"), request, .careTeamUpdate)
        try await teams.replaceMembers(
            team: id,
            members: team.members,
            audit: request.event(.careTeamUpdate, resourceType: "Group", subject: nil, count: 1, outcome: .success, at: now)
        )
        return team
    }

    public func deleteCareTeam(_ id: String, by request: AccessRequest) async throws {
        try await require([.admin], request, .careTeamDelete, "Group")
        guard try await teams.careTeam(id: id, organization: request.identity.organization) != nil else {
            try await audit.record(request.event(.careTeamDelete, resourceType: "Group", subject: nil, outcome: .error, at: now))
            throw VigilError(.notFound, code: "not_found", message: "care team not found")
        }
        try await teams.deleteCareTeam(
            id, audit: request.event(.careTeamDelete, resourceType: "Group", subject: nil, count: 1, outcome: .success, at: now))
    }

    /// Members must be clinicians or admins of the caller's organisation.
    private func validMembers(_ value: JSONValue?, _ request: AccessRequest, _ action: AuditEvent.Action) async throws -> [String] {
        var names = [String]()
        switch value {
        case nil, .null?: return []
        case .array(let items)?:
            for item in items {
                guard case .string(let name) = item else { names = []; break }
                names.append(name)
            }
            if names.count == items.count {
                // The admin managing the team cannot be in it: a team may hold grants, and an admin
                // must never grant itself access to a subject, directly or through a team.
                if names.contains(request.identity.username.value) {
                    try await audit.record(request.event(action, resourceType: "Group", subject: nil, outcome: .error, at: now))
                    throw VigilError(
                        .validation, code: "validation_failed", message: "the care team is invalid",
                        details: [ErrorDetail(index: nil, field: "members", reason: "you cannot add yourself to a care team")])
                }
                var unknown = [String]()
                for name in names {
                    let user = try await users.user(username: name, organization: request.identity.organization)
                    if user == nil || user?.disabled == true || !(user?.role == .clinician || user?.role == .admin) { unknown.append(name) }
                }
                if unknown.isEmpty { return Array(Set(names)).sorted() }
                try await audit.record(request.event(action, resourceType: "Group", subject: nil, outcome: .error, at: now))
                throw VigilError(
                    .validation,
                    code: "validation_failed",
                    message: "the care team is invalid",
                    details: unknown.map {
                        ErrorDetail(index: nil, field: "members", reason: "\($0) is not a clinician or admin of the organisation")
                    }
                )
            }
        default: break
        }
        try await audit.record(request.event(action, resourceType: "Group", subject: nil, outcome: .error, at: now))
        throw VigilError(
            .validation,
            code: "validation_failed",
            message: "the care team is invalid",
            details: [ErrorDetail(index: nil, field: "members", reason: "members must be an array of usernames")]
        )
    }
}
