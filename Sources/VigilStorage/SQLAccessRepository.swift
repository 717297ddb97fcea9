import Foundation
import SQLKit
import VigilCore

/// Grants, care teams and the facts the access policy needs, on SQLite or PostgreSQL.
public struct SQLAccessRepository: AccessFactsRepository, GrantRepository, CareTeamRepository {
    let driver: any DatabaseDriver
    let heads: AuditHeadCache
    let events: SampleEventSignal

    init(driver: any DatabaseDriver, heads: AuditHeadCache, events: SampleEventSignal) {
        self.driver = driver
        self.heads = heads
        self.events = events
    }

    public func facts(subject: SubjectID, caller: Identity) async throws -> SubjectFacts {
        // A patient's own subject: the identity was read from the database for this request (role,
        // organisation, not disabled), so there is nothing more to look up.
        if caller.role == .patient, caller.username == subject { return SubjectFacts(organization: caller.organization) }
        return try await driver.read { db in
            guard let organization = try await Self.patientOrganization(subject, on: db) else { return SubjectFacts(organization: nil) }
            guard caller.role == .clinician || caller.role == .admin else { return SubjectFacts(organization: organization) }
            let grants = try await db.raw(
                """
                SELECT \(unsafeRaw: Self.grantColumns) FROM grants
                WHERE subject = \(bind: subject.value) AND revoked_at IS NULL
                  AND (grantee = \(bind: caller.username.value)
                       OR grantee IN (SELECT 'team:' || team_id FROM care_team_members WHERE username = \(bind: caller.username.value)))
                """
            ).all().map(Self.grant(from:))
            return SubjectFacts(organization: organization, callerGrants: grants)
        }
    }

    public func patientOrganization(_ subject: SubjectID) async throws -> String? {
        try await driver.read { db in try await Self.patientOrganization(subject, on: db) }
    }

    private static func patientOrganization(_ subject: SubjectID, on db: any SQLDatabase) async throws -> String? {
        try await db.raw(
            "SELECT organization FROM users WHERE username = \(bind: subject.value) AND role = 'patient' AND disabled_at IS NULL"
        ).first()?.decode(column: "organization", as: String.self)
    }

    // MARK: Grants

    static let grantColumns = "id, organization, subject, grantee, scope, expires_at, created_at, created_by, revoked_at, revoked_by"

    public func createGrant(_ grant: Grant, audit: AuditEvent) async throws {
        let cursor = try await driver.write { [engine = driver.engine, heads] db in
            // Granting again to the same grantee replaces the earlier grant.
            try await db.raw(
                """
                UPDATE grants SET revoked_at = \(bind: grant.createdAt), revoked_by = \(bind: grant.createdBy)
                WHERE subject = \(bind: grant.subject) AND grantee = \(bind: grant.grantee) AND revoked_at IS NULL
                """
            ).run()
            try await db.raw(
                """
                INSERT INTO grants (id, organization, subject, grantee, scope, expires_at, created_at, created_by)
                VALUES (\(bind: grant.id), \(bind: grant.organization), \(bind: grant.subject), \(bind: grant.grantee),
                        \(bind: grant.scope.rawValue), \(bind: grant.expiresAt), \(bind: grant.createdAt), \(bind: grant.createdBy))
                """
            ).run()
            try await SQLAuditLog.append([audit], on: db, engine: engine, heads: heads)
            // A replaced grant may have been wider: streams re-check the subject.
            return try await SampleEventLog.append(
                .subject(grant.subject), organization: grant.organization, at: audit.occurredAt, on: db, engine: engine)
        }
        events.committed(cursor)
    }

    public func grants(subject: SubjectID) async throws -> [Grant] {
        try await driver.read { db in
            try await db.raw(
                "SELECT \(unsafeRaw: Self.grantColumns) FROM grants WHERE subject = \(bind: subject.value) ORDER BY created_at, id"
            )
            .all().map(Self.grant(from:))
        }
    }

    public func revokeGrant(id: String, subject: SubjectID, by revoker: String, at time: Int64, audit: AuditEvent) async throws -> Bool {
        let cursor = try await driver.write { [engine = driver.engine, heads] db -> Int64? in
            let found = try await db.raw(
                "SELECT id FROM grants WHERE id = \(bind: id) AND subject = \(bind: subject.value)"
            ).first()
            guard found != nil else { return nil }
            try await db.raw(
                """
                UPDATE grants SET revoked_at = \(bind: time), revoked_by = \(bind: revoker)
                WHERE id = \(bind: id) AND revoked_at IS NULL
                """
            ).run()
            try await SQLAuditLog.append([audit], on: db, engine: engine, heads: heads)
            return try await SampleEventLog.append(
                .subject(subject.value), organization: audit.organization, at: audit.occurredAt, on: db, engine: engine)
        }
        guard let cursor else { return false }
        events.committed(cursor)
        return true
    }

    static func grant(from row: any SQLRow) throws -> Grant {
        Grant(
            id: try row.decode(column: "id", as: String.self),
            organization: try row.decode(column: "organization", as: String.self),
            subject: try row.decode(column: "subject", as: String.self),
            grantee: try row.decode(column: "grantee", as: String.self),
            scope: GrantScope(rawValue: try row.decode(column: "scope", as: String.self)) ?? .read,
            expiresAt: try row.decode(column: "expires_at", as: Int64?.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            createdBy: try row.decode(column: "created_by", as: String.self),
            revokedAt: try row.decode(column: "revoked_at", as: Int64?.self),
            revokedBy: try row.decode(column: "revoked_by", as: String?.self)
        )
    }

    // MARK: Care teams

    public func createCareTeam(_ team: CareTeam, audit: AuditEvent) async throws {
        try await driver.write { [engine = driver.engine, heads] db in
            try await db.raw(
                """
                INSERT INTO care_teams (id, organization, name, created_at, created_by)
                VALUES (\(bind: team.id), \(bind: team.organization), \(bind: team.name), \(bind: team.createdAt), \(bind: team.createdBy))
                """
            ).run()
            try await Self.insertMembers(team.members, team: team.id, on: db)
            try await SQLAuditLog.append([audit], on: db, engine: engine, heads: heads)
        }
    }

    public func careTeams(organization: String) async throws -> [CareTeam] {
        try await teams(organization: organization, id: nil)
    }

    public func careTeam(id: String, organization: String) async throws -> CareTeam? {
        try await teams(organization: organization, id: id).first
    }

    private func teams(organization: String, id: String?) async throws -> [CareTeam] {
        try await driver.read { db in
            var teamFilter: SQLQueryString = "t.organization = \(bind: organization)"
            if let id { teamFilter += " AND t.id = \(bind: id)" }
            let rows = try await db.raw(
                "SELECT t.id, t.organization, t.name, t.created_at, t.created_by FROM care_teams t WHERE " + teamFilter
                    + " ORDER BY t.name, t.id"
            ).all()
            let members = try await db.raw(
                "SELECT m.team_id, m.username FROM care_team_members m JOIN care_teams t ON t.id = m.team_id WHERE " + teamFilter
                    + " ORDER BY m.username"
            ).all()
            var byTeam = [String: [String]]()
            for row in members {
                byTeam[try row.decode(column: "team_id", as: String.self), default: []].append(
                    try row.decode(column: "username", as: String.self))
            }
            return try rows.map { row in
                let id = try row.decode(column: "id", as: String.self)
                return CareTeam(
                    id: id,
                    organization: try row.decode(column: "organization", as: String.self),
                    name: try row.decode(column: "name", as: String.self),
                    members: byTeam[id] ?? [],
                    createdAt: try row.decode(column: "created_at", as: Int64.self),
                    createdBy: try row.decode(column: "created_by", as: String.self)
                )
            }
        }
    }

    public func replaceMembers(team: String, members: [String], audit: AuditEvent) async throws {
        let cursor = try await driver.write { [engine = driver.engine, heads] db in
            let before = try await Self.members(of: team, on: db)
            try await db.raw("DELETE FROM care_team_members WHERE team_id = \(bind: team)").run()
            try await Self.insertMembers(members, team: team, on: db)
            try await SQLAuditLog.append([audit], on: db, engine: engine, heads: heads)
            return try await Self.accessChanged(users: before.subtracting(members), audit: audit, on: db, engine: engine)
        }
        if let cursor { events.committed(cursor) }
    }

    public func deleteCareTeam(_ team: String, audit: AuditEvent) async throws {
        let cursor = try await driver.write { [engine = driver.engine, heads] db in
            let before = try await Self.members(of: team, on: db)
            // Grants to a deleted team end with it.
            try await db.raw(
                "UPDATE grants SET revoked_at = \(bind: audit.occurredAt / 1_000_000), revoked_by = \(bind: audit.actor.username ?? "") WHERE grantee = \(bind: Grant.teamPrefix + team) AND revoked_at IS NULL"
            ).run()
            try await db.raw("DELETE FROM care_team_members WHERE team_id = \(bind: team)").run()
            try await db.raw("DELETE FROM care_teams WHERE id = \(bind: team)").run()
            try await SQLAuditLog.append([audit], on: db, engine: engine, heads: heads)
            return try await Self.accessChanged(users: before, audit: audit, on: db, engine: engine)
        }
        if let cursor { events.committed(cursor) }
    }

    private static func members(of team: String, on db: any SQLDatabase) async throws -> Set<String> {
        Set(
            try await db.raw("SELECT username FROM care_team_members WHERE team_id = \(bind: team)").all()
                .map { try $0.decode(column: "username", as: String.self) })
    }

    /// Streams re-check every user who may have lost access; returns the last cursor (nil: nobody).
    private static func accessChanged(
        users: Set<String>, audit: AuditEvent, on db: any SQLDatabase, engine: SQLEngine
    )
        async throws -> Int64?
    {
        var cursor: Int64?
        for user in users.sorted() {
            cursor = try await SampleEventLog.append(
                .user(user), organization: audit.organization, at: audit.occurredAt, on: db, engine: engine)
        }
        return cursor
    }

    private static func insertMembers(_ members: [String], team: String, on db: any SQLDatabase) async throws {
        guard !members.isEmpty else { return }
        let builder = db.insert(into: "care_team_members").columns("team_id", "username")
        for member in Set(members).sorted() { builder.values([team, member] as [any Encodable & Sendable]) }
        try await builder.run()
    }
}
