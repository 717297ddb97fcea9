import Foundation
import SQLKit
import VigilCore

/// Users, logins and refresh tokens on SQLite or PostgreSQL. Refresh tokens are stored only as hashes.
public struct SQLAuthRepository: UserRepository, LoginRepository {
    let driver: any DatabaseDriver
    let heads: AuditHeadCache
    let events: SampleEventSignal

    init(driver: any DatabaseDriver, heads: AuditHeadCache, events: SampleEventSignal) {
        self.driver = driver
        self.heads = heads
        self.events = events
    }

    public func createUser(_ user: UserRecord) async throws {
        try await driver.write { db in try await Self.insertUser(user, on: db) }
    }

    static func insertUser(_ user: UserRecord, on db: any SQLDatabase) async throws {
        let now = Int64(Date().timeIntervalSince1970)
        // One statement, so two concurrent creations of one name give one user and one 409 (never a 500
        // from the unique index). The answer does not say which organisation holds the name.
        let inserted = try await db.raw(
            """
            INSERT INTO users (id, username, password_hash, role, organization, created_at)
            VALUES (\(bind: user.id), \(bind: user.username.value), \(bind: user.passwordHash), \(bind: user.role.rawValue),
                    \(bind: user.organization), \(bind: now))
            ON CONFLICT (username) DO NOTHING RETURNING id
            """
        ).first()
        guard inserted != nil else {
            throw VigilError(.conflict, code: "conflict", message: "username \(user.username) is not available")
        }
    }

    public func user(named username: Username) async throws -> UserRecord? {
        try await driver.read { db in
            guard
                let row = try await db.raw(
                    "SELECT id, username, password_hash, role, organization FROM users WHERE username = \(bind: username.value) AND disabled_at IS NULL"
                ).first()
            else { return nil }
            guard let role = Role(rawValue: try row.decode(column: "role", as: String.self)) else { return nil }
            return UserRecord(
                id: try row.decode(column: "id", as: String.self),
                username: username,
                passwordHash: try row.decode(column: "password_hash", as: String.self),
                role: role,
                organization: try row.decode(column: "organization", as: String.self)
            )
        }
    }

    public func createLogin(id: String, userID: String, refreshTokenHash: String, now: Int64, refreshExpiresAt: Int64) async throws {
        try await driver.write { db in
            try await db.raw("INSERT INTO logins (id, user_id, created_at) VALUES (\(bind: id), \(bind: userID), \(bind: now))").run()
            try await db.raw(
                """
                INSERT INTO refresh_tokens (token_hash, login_id, issued_at, expires_at)
                VALUES (\(bind: refreshTokenHash), \(bind: id), \(bind: now), \(bind: refreshExpiresAt))
                """
            ).run()
        }
    }

    public func identity(loginID: String, userID: String) async throws -> Identity? {
        try await driver.read { db in
            try await Self.identity(loginID: loginID, userID: userID, on: db)
        }
    }

    /// The caller behind a live login (not revoked, user not disabled).
    static func identity(loginID: String, userID: String, on db: any SQLDatabase) async throws -> Identity? {
        try await loginOwner(
            loginID: loginID,
            extraCondition: " AND l.user_id = \(bind: userID) AND l.revoked_at IS NULL AND u.disabled_at IS NULL",
            on: db
        )
    }

    /// Who a login belongs to, whether or not it has ended.
    static func owner(loginID: String, on db: any SQLDatabase) async throws -> Identity? {
        try await loginOwner(loginID: loginID, extraCondition: "", on: db)
    }

    private static func loginOwner(loginID: String, extraCondition: SQLQueryString, on db: any SQLDatabase) async throws -> Identity? {
        let sql: SQLQueryString =
            "SELECT u.id, u.username, u.role, u.organization FROM logins l JOIN users u ON u.id = l.user_id WHERE l.id = \(bind: loginID)"
            + extraCondition
        guard
            let row = try await db.raw(sql).first(),
            let username = Username(try row.decode(column: "username", as: String.self)),
            let role = Role(rawValue: try row.decode(column: "role", as: String.self))
        else { return nil }
        return Identity(
            userID: try row.decode(column: "id", as: String.self),
            username: username,
            role: role,
            organization: try row.decode(column: "organization", as: String.self),
            loginID: loginID
        )
    }

    public func rotate(
        refreshTokenHash: String, newHash: String, now: Int64, refreshExpiresAt: Int64, maxLoginSeconds: Int64
    ) async throws -> RefreshOutcome {
        let (outcome, cursor) = try await driver.write { [engine = driver.engine] db -> (RefreshOutcome, Int64?) in
            // Of two concurrent refreshes with one token, the second finds `used_at` set: that is reuse.
            let spent = try await db.raw(
                """
                UPDATE refresh_tokens SET used_at = \(bind: now)
                WHERE token_hash = \(bind: refreshTokenHash) AND used_at IS NULL AND expires_at > \(bind: now)
                  AND login_id IN (SELECT id FROM logins WHERE created_at > \(bind: now - maxLoginSeconds))
                RETURNING login_id
                """
            ).first()
            if let spent {
                let loginID = try spent.decode(column: "login_id", as: String.self)
                guard
                    let userRow = try await db.raw("SELECT user_id, created_at FROM logins WHERE id = \(bind: loginID)").first(),
                    let identity = try await Self.identity(
                        loginID: loginID,
                        userID: try userRow.decode(column: "user_id", as: String.self),
                        on: db
                    )
                else { return (.invalid, nil) }
                try await db.raw(
                    """
                    INSERT INTO refresh_tokens (token_hash, login_id, issued_at, expires_at)
                    VALUES (\(bind: newHash), \(bind: loginID), \(bind: now),
                      \(bind: min(refreshExpiresAt, try userRow.decode(column: "created_at", as: Int64.self) + maxLoginSeconds)))
                    """
                ).run()
                return (.rotated(identity), nil)
            }
            let known = try await db.raw(
                "SELECT login_id, used_at FROM refresh_tokens WHERE token_hash = \(bind: refreshTokenHash)"
            ).first()
            guard let known, try known.decode(column: "used_at", as: Int64?.self) != nil else { return (.invalid, nil) }
            let loginID = try known.decode(column: "login_id", as: String.self)
            try await db.raw("UPDATE logins SET revoked_at = \(bind: now) WHERE id = \(bind: loginID) AND revoked_at IS NULL").run()
            let owner = try await Self.owner(loginID: loginID, on: db)
            return (.reused(owner), try await Self.loginEnded(owner, at: now, on: db, engine: engine))
        }
        if let cursor { events.committed(cursor) }
        return outcome
    }

    /// Streams of a user whose login ended close at their next event.
    private static func loginEnded(_ owner: Identity?, at seconds: Int64, on db: any SQLDatabase, engine: SQLEngine) async throws -> Int64?
    {
        guard let owner else { return nil }
        return try await SampleEventLog.append(
            .user(owner.username.value), organization: owner.organization, at: seconds * 1_000_000, on: db, engine: engine)
    }

    public func revokeLogin(refreshTokenHash: String, now: Int64) async throws -> Identity? {
        let (owner, cursor) = try await driver.write { [engine = driver.engine] db -> (Identity?, Int64?) in
            let token = try await db.raw("SELECT login_id FROM refresh_tokens WHERE token_hash = \(bind: refreshTokenHash)").first()
            guard let loginID = try token?.decode(column: "login_id", as: String.self) else { return (nil, nil) }
            try await db.raw(
                """
                UPDATE logins SET revoked_at = \(bind: now)
                WHERE revoked_at IS NULL AND id = \(bind: loginID)
                """
            ).run()
            let owner = try await Self.owner(loginID: loginID, on: db)
            return (owner, try await Self.loginEnded(owner, at: now, on: db, engine: engine))
        }
        if let cursor { events.committed(cursor) }
        return owner
    }
}

extension SQLAuthRepository: UserDirectory {
    static let summaryColumns = "id, username, role, organization, created_at, disabled_at"

    public func users(organization: String) async throws -> [UserSummary] {
        try await driver.read { db in
            try await db.raw(
                "SELECT \(unsafeRaw: Self.summaryColumns) FROM users WHERE organization = \(bind: organization) ORDER BY username"
            ).all().compactMap(Self.summary(from:))
        }
    }

    public func user(username: String, organization: String) async throws -> UserSummary? {
        try await driver.read { db in
            try await db.raw(
                "SELECT \(unsafeRaw: Self.summaryColumns) FROM users WHERE username = \(bind: username) AND organization = \(bind: organization)"
            ).first().flatMap(Self.summary(from:))
        }
    }

    public func createUser(_ user: UserRecord, audit: AuditEvent) async throws {
        try await driver.write { [engine = driver.engine, heads] db in
            try await Self.insertUser(user, on: db)
            try await SQLAuditLog.append([audit], on: db, engine: engine, heads: heads)
        }
    }

    public func disableUser(username: String, organization: String, at time: Int64, audit: AuditEvent) async throws -> Bool {
        let cursor = try await driver.write { [engine = driver.engine, heads] db -> Int64? in
            let row = try await db.raw(
                "SELECT id FROM users WHERE username = \(bind: username) AND organization = \(bind: organization)"
            ).first()
            guard let id = try row?.decode(column: "id", as: String.self) else { return nil }
            try await db.raw("UPDATE users SET disabled_at = \(bind: time) WHERE id = \(bind: id) AND disabled_at IS NULL").run()
            try await db.raw("UPDATE logins SET revoked_at = \(bind: time) WHERE user_id = \(bind: id) AND revoked_at IS NULL").run()
            try await SQLAuditLog.append([audit], on: db, engine: engine, heads: heads)
            // Also ends the streams of a disabled patient's viewers: they re-check the subject.
            _ = try await SampleEventLog.append(
                .subject(username), organization: organization, at: audit.occurredAt, on: db, engine: engine)
            return try await SampleEventLog.append(
                .user(username), organization: organization, at: audit.occurredAt, on: db, engine: engine)
        }
        guard let cursor else { return false }
        events.committed(cursor)
        return true
    }

    static func summary(from row: any SQLRow) throws -> UserSummary? {
        guard let role = Role(rawValue: try row.decode(column: "role", as: String.self)) else { return nil }
        return UserSummary(
            id: try row.decode(column: "id", as: String.self),
            username: try row.decode(column: "username", as: String.self),
            role: role,
            organization: try row.decode(column: "organization", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            disabled: try row.decode(column: "disabled_at", as: Int64?.self) != nil
        )
    }
}
