import Foundation
import SQLKit

/// One schema change. Versions only grow; a shipped migration is never edited.
struct Migration: Sendable {
    let version: Int
    let name: String
    let statements: @Sendable (SQLEngine) -> [String]
}

/// Applies pending migrations in order, each in its own transaction, recording them in `vigil_migrations`.
public struct Migrator: Sendable {
    let driver: any DatabaseDriver

    public init(driver: any DatabaseDriver) {
        self.driver = driver
    }

    static let all: [Migration] = [
        Migration(version: 1, name: "users, logins, refresh tokens, samples") { engine in
            // Byte-order collation keeps uuid order identical on both engines whatever the cluster's locale.
            let key = engine == .postgres ? "TEXT COLLATE \"C\"" : "TEXT"
            return [
                """
                CREATE TABLE users (id TEXT PRIMARY KEY, username \(key) NOT NULL UNIQUE, password_hash TEXT NOT NULL,
                  role TEXT NOT NULL, organization TEXT NOT NULL, created_at BIGINT NOT NULL)
                """,
                """
                CREATE TABLE logins (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                  created_at BIGINT NOT NULL, revoked_at BIGINT)
                """,
                """
                CREATE TABLE refresh_tokens (token_hash TEXT PRIMARY KEY, login_id TEXT NOT NULL REFERENCES logins(id) ON DELETE CASCADE,
                  issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT)
                """,
                "CREATE INDEX refresh_tokens_login ON refresh_tokens (login_id)",
                """
                CREATE TABLE samples (subject \(key) NOT NULL, uuid \(key) NOT NULL, type TEXT NOT NULL,
                  start_utc BIGINT NOT NULL, end_utc BIGINT NOT NULL, utc_offset INTEGER NOT NULL,
                  value DOUBLE PRECISION, unit TEXT, category TEXT, source TEXT, metadata TEXT,
                  PRIMARY KEY (subject, uuid))
                """,
                "CREATE INDEX samples_subject_type_start ON samples (subject, type, start_utc, uuid)",
                "CREATE INDEX samples_subject_start ON samples (subject, start_utc, uuid)",
            ]
        },
        Migration(version: 2, name: "grants, care teams, audit trail") { engine in
            let key = engine == .postgres ? "TEXT COLLATE \"C\"" : "TEXT"
            return [
                "ALTER TABLE users ADD COLUMN disabled_at BIGINT",
                "CREATE INDEX users_organization ON users (organization, username)",
                """
                CREATE TABLE care_teams (id TEXT PRIMARY KEY, organization TEXT NOT NULL, name TEXT NOT NULL,
                  created_at BIGINT NOT NULL, created_by TEXT NOT NULL)
                """,
                "CREATE INDEX care_teams_organization ON care_teams (organization)",
                """
                CREATE TABLE care_team_members (team_id TEXT NOT NULL REFERENCES care_teams(id) ON DELETE CASCADE,
                  username \(key) NOT NULL, PRIMARY KEY (team_id, username))
                """,
                "CREATE INDEX care_team_members_username ON care_team_members (username)",
                """
                CREATE TABLE grants (id TEXT PRIMARY KEY, organization TEXT NOT NULL, subject \(key) NOT NULL,
                  grantee \(key) NOT NULL, scope TEXT NOT NULL, expires_at BIGINT, created_at BIGINT NOT NULL,
                  created_by TEXT NOT NULL, revoked_at BIGINT, revoked_by TEXT)
                """,
                "CREATE INDEX grants_subject_grantee ON grants (subject, grantee)",
                """
                CREATE TABLE audit_events (organization \(key) NOT NULL, seq BIGINT NOT NULL, occurred_at BIGINT NOT NULL,
                  actor_id TEXT, actor_username TEXT, actor_role TEXT, action TEXT NOT NULL, resource_type TEXT NOT NULL,
                  subject TEXT, record_count INTEGER NOT NULL, outcome TEXT NOT NULL, request_id TEXT NOT NULL,
                  client_address TEXT, user_agent TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
                  PRIMARY KEY (organization, seq))
                """,
                "CREATE INDEX audit_events_request ON audit_events (request_id)",
                """
                CREATE TABLE audit_heads (organization \(key) PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)
                """,
            ]
        },
        Migration(version: 3, name: "analysis jobs") { engine in
            let key = engine == .postgres ? "TEXT COLLATE \"C\"" : "TEXT"
            return [
                """
                CREATE TABLE analysis_jobs (id TEXT PRIMARY KEY, organization \(key) NOT NULL, subject \(key) NOT NULL, kind TEXT NOT NULL,
                  status TEXT NOT NULL, from_utc BIGINT, from_offset INTEGER, to_utc BIGINT, to_offset INTEGER, options TEXT NOT NULL,
                  result TEXT, error_code TEXT, error_message TEXT, attempts INTEGER NOT NULL, requested_by TEXT NOT NULL,
                  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, not_before BIGINT NOT NULL,
                  lease_owner TEXT, lease_until BIGINT)
                """,
                "CREATE INDEX analysis_jobs_due ON analysis_jobs (status, not_before)",
            ]
        },
        Migration(version: 4, name: "sample event outbox") { engine in
            let key = engine == .postgres ? "TEXT COLLATE \"C\"" : "TEXT"
            let cursor = engine == .postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
            return [
                """
                CREATE TABLE sample_events (cursor \(cursor), organization \(key) NOT NULL, subject \(key) NOT NULL,
                  sample_count INTEGER NOT NULL, samples TEXT NOT NULL, committed_at BIGINT NOT NULL)
                """,
                "CREATE INDEX sample_events_subject ON sample_events (subject, cursor)",
            ]
        },
        Migration(version: 5, name: "stream outbox kinds") { _ in
            [
                "ALTER TABLE sample_events ADD COLUMN kind TEXT NOT NULL DEFAULT 'samples'",
                "CREATE INDEX sample_events_kind ON sample_events (kind, committed_at)",
                "CREATE INDEX sample_events_committed ON sample_events (committed_at)",
                "CREATE TABLE stream_outbox_state (id INTEGER PRIMARY KEY, pruned_through BIGINT NOT NULL)",
                "INSERT INTO stream_outbox_state (id, pruned_through) VALUES (1, 0)",
            ]
        },
        Migration(version: 6, name: "analysis job caps, fair claims and retention") { _ in
            [
                "CREATE INDEX analysis_jobs_organization ON analysis_jobs (organization, status)",
                "CREATE INDEX analysis_jobs_requester ON analysis_jobs (organization, requested_by, status)",
                "CREATE INDEX analysis_jobs_finished ON analysis_jobs (status, updated_at)",
            ]
        },
        Migration(version: 7, name: "signed audit chain heads") { _ in
            ["ALTER TABLE audit_heads ADD COLUMN signature TEXT"]
        },
    ]

    /// The newest schema version this build knows.
    public static var latestVersion: Int { all.last?.version ?? 0 }

    /// Applies what is pending and returns the versions it applied. Safe to run from several
    /// processes at once: PostgreSQL serialises on an advisory lock, SQLite on its write lock.
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await driver.write { [engine = driver.engine] db in
            if engine == .postgres { try await db.raw("SELECT pg_advisory_xact_lock(7361029)").run() }
            try await db.raw(
                "CREATE TABLE IF NOT EXISTS vigil_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            ).run()
        }
        var applied = [Int]()
        for migration in Self.all {
            let done = try await driver.write { [engine = driver.engine] db in
                if engine == .postgres {
                    // Held to the end of this transaction: concurrent migrators wait, then see the row.
                    try await db.raw("SELECT pg_advisory_xact_lock(7361029)").run()
                }
                let existing = try await db.raw("SELECT version FROM vigil_migrations WHERE version = \(bind: migration.version)").first()
                guard existing == nil else { return false }
                for statement in migration.statements(engine) {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                let now = Int64(Date().timeIntervalSince1970)
                try await db.raw(
                    "INSERT INTO vigil_migrations (version, name, applied_at) VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: now))"
                ).run()
                return true
            }
            if done { applied.append(migration.version) }
        }
        return applied
    }

    /// Versions recorded as applied.
    public func appliedVersions() async throws -> [Int] {
        try await driver.read { db in
            try await db.raw("SELECT version FROM vigil_migrations ORDER BY version").all().map {
                try $0.decode(column: "version", as: Int.self)
            }
        }
    }
}
