import Foundation
import SQLKit
import VigilCore

/// Users, logins and refresh tokens on SQLite or PostgreSQL. Refresh tokens are stored only as hashes.
public struct SQLAuthRepository: UserRepository, LoginRepository {
    let driver: any DatabaseDriver

    public init(driver: any DatabaseDriver) {
        self.driver = driver
    }

    public func createUser(_ user: UserRecord) async throws {
        try await driver.write { db in
            let taken = try await db.raw("SELECT id FROM users WHERE username = \(bind: user.username.value)").first()
            guard taken == nil else {
                throw VigilError(.conflict, code: "conflict", message: "username \(user.username) is taken")
            }
            let now = Int64(Date().timeIntervalSince1970)
            try await db.raw(
                """
                INSERT INTO users (id, username, password_hash, role, organization, created_at)
                VALUES (\(bind: user.id), \(bind: user.username.value), \(bind: user.passwordHash), \(bind: user.role.rawValue),
                        \(bind: user.organization), \(bind: now))
                """
            ).run()
        }
    }

    public func user(named username: Username) async throws -> UserRecord? {
        try await driver.read { db in
            guard
                let row = try await db.raw(
                    "SELECT id, username, password_hash, role, organization FROM users WHERE username = \(bind: username.value)"
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

    static func identity(loginID: String, userID: String, on db: any SQLDatabase) async throws -> Identity? {
        guard
            let row = try await db.raw(
                """
                SELECT u.id, u.username, u.role, u.organization FROM logins l JOIN users u ON u.id = l.user_id
                WHERE l.id = \(bind: loginID) AND l.user_id = \(bind: userID) AND l.revoked_at IS NULL
                """
            ).first(),
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

    public func rotate(refreshTokenHash: String, newHash: String, now: Int64, refreshExpiresAt: Int64) async throws -> RefreshOutcome {
        try await driver.write { db in
            // Of two concurrent refreshes with one token, the second finds `used_at` set: that is reuse.
            let spent = try await db.raw(
                """
                UPDATE refresh_tokens SET used_at = \(bind: now)
                WHERE token_hash = \(bind: refreshTokenHash) AND used_at IS NULL AND expires_at > \(bind: now)
                RETURNING login_id
                """
            ).first()
            if let spent {
                let loginID = try spent.decode(column: "login_id", as: String.self)
                guard
                    let userRow = try await db.raw("SELECT user_id FROM logins WHERE id = \(bind: loginID)").first(),
                    let identity = try await Self.identity(
                        loginID: loginID,
                        userID: try userRow.decode(column: "user_id", as: String.self),
                        on: db
                    )
                else { return .invalid }
                try await db.raw(
                    """
                    INSERT INTO refresh_tokens (token_hash, login_id, issued_at, expires_at)
                    VALUES (\(bind: newHash), \(bind: loginID), \(bind: now), \(bind: refreshExpiresAt))
                    """
                ).run()
                return .rotated(identity)
            }
            let known = try await db.raw(
                "SELECT login_id, used_at FROM refresh_tokens WHERE token_hash = \(bind: refreshTokenHash)"
            ).first()
            guard let known, try known.decode(column: "used_at", as: Int64?.self) != nil else { return .invalid }
            try await db.raw(
                "UPDATE logins SET revoked_at = \(bind: now) WHERE id = \(bind: try known.decode(column: "login_id", as: String.self)) AND revoked_at IS NULL"
            ).run()
            return .reused
        }
    }

    public func revokeLogin(refreshTokenHash: String, now: Int64) async throws {
        try await driver.write { db in
            try await db.raw(
                """
                UPDATE logins SET revoked_at = \(bind: now)
                WHERE revoked_at IS NULL AND id IN (SELECT login_id FROM refresh_tokens WHERE token_hash = \(bind: refreshTokenHash))
                """
            ).run()
        }
    }
}
