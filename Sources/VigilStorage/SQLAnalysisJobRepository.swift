import SQLKit
import VigilCore

/// ``AnalysisJobRepository`` on SQLite or PostgreSQL. A claim is one transaction: pick the next due job
/// (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so nodes never wait on each other's claims; SQLite: its single
/// writer), then mark it running with a lease. Outcomes are written only by the lease holder.
public struct SQLAnalysisJobRepository: AnalysisJobRepository {
    let driver: any DatabaseDriver
    let heads: AuditHeadCache
    static let columns = """
        id, organization, subject, kind, status, from_utc, from_offset, to_utc, to_offset, options, result, error_code, error_message,
        attempts, requested_by, created_at, updated_at, not_before
        """

    init(driver: any DatabaseDriver, heads: AuditHeadCache) {
        self.driver = driver
        self.heads = heads
    }

    public func create(_ job: AnalysisJob, audit: AuditEvent, limits: JobQueueLimits) async throws {
        try await driver.write { [engine = driver.engine, heads] db in
            // Counted in the writing transaction: exact on SQLite (one writer); on PostgreSQL concurrent
            // submissions of one organisation can each see the count below the cap, so it may be passed
            // by the number of submissions racing at that moment.
            func unfinished(_ filter: SQLQueryString) async throws -> Int {
                let row = try await db.raw(
                    "SELECT COUNT(*) AS n FROM analysis_jobs WHERE status IN ('queued', 'running') AND \(filter)"
                ).first()
                return try row?.decode(column: "n", as: Int.self) ?? 0
            }
            let mine: SQLQueryString = "organization = \(bind: job.organization) AND requested_by = \(bind: job.requestedBy)"
            if try await unfinished(mine) >= limits.perUser { throw JobQueueLimits.exceeded("you", limit: limits.perUser) }
            if try await unfinished("organization = \(bind: job.organization)") >= limits.perOrganization {
                throw JobQueueLimits.exceeded("your organisation", limit: limits.perOrganization)
            }
            try await db.raw(
                """
                INSERT INTO analysis_jobs (id, organization, subject, kind, status, from_utc, from_offset, to_utc, to_offset, options,
                  attempts, requested_by, created_at, updated_at, not_before)
                VALUES (\(bind: job.id), \(bind: job.organization), \(bind: job.subject.value), \(bind: job.kind.rawValue),
                  \(bind: job.status.rawValue), \(bind: job.from?.microseconds), \(bind: job.from.map { Int($0.offsetSeconds) }),
                  \(bind: job.to?.microseconds), \(bind: job.to.map { Int($0.offsetSeconds) }), \(bind: job.options.canonicalJSON),
                  \(bind: job.attempts), \(bind: job.requestedBy), \(bind: job.createdAt), \(bind: job.updatedAt), \(bind: job.notBefore))
                """
            ).run()
            try await SQLAuditLog.append([audit], on: db, engine: engine, heads: heads)
        }
    }

    public func job(id: String) async throws -> AnalysisJob? {
        try await driver.read { db in
            try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM analysis_jobs WHERE id = \(bind: id)").first().map(Self.job(from:))
        }
    }

    public func claimNext(now: Int64, owner: String, leaseUntil: Int64, maxClaims: Int) async throws -> AnalysisJob? {
        try await driver.write { [engine = driver.engine] db in
            let lock = engine == .postgres ? " FOR UPDATE OF j SKIP LOCKED" : ""
            try await db.raw(
                """
                UPDATE analysis_jobs SET status = 'failed', error_code = 'crashed_repeatedly',
                  error_message = \(bind: "the server stopped while running this analysis \(maxClaims) times; it is not run again"),
                  lease_owner = NULL, lease_until = NULL, updated_at = \(bind: now)
                WHERE status = 'running' AND lease_until < \(bind: now) AND attempts >= \(bind: maxClaims)
                """
            ).run()
            guard
                let row = try await db.raw(
                    """
                    SELECT j.id FROM analysis_jobs j
                    WHERE (j.status = 'queued' AND j.not_before <= \(bind: now)) OR (j.status = 'running' AND j.lease_until < \(bind: now))
                    ORDER BY (SELECT COUNT(*) FROM analysis_jobs r
                              WHERE r.organization = j.organization AND r.status = 'running' AND r.lease_until >= \(bind: now)),
                      j.not_before, j.created_at, j.id
                    LIMIT 1\(unsafeRaw: lock)
                    """
                ).first()
            else { return nil }
            let id = try row.decode(column: "id", as: String.self)
            try await db.raw(
                """
                UPDATE analysis_jobs SET status = 'running', lease_owner = \(bind: owner), lease_until = \(bind: leaseUntil),
                  attempts = attempts + 1, updated_at = \(bind: now)
                WHERE id = \(bind: id)
                """
            ).run()
            return try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM analysis_jobs WHERE id = \(bind: id)").first().map(
                Self.job(from:))
        }
    }

    public func deleteFinished(before: Int64) async throws -> Int {
        try await driver.write { db in
            let rows = try await db.raw(
                "DELETE FROM analysis_jobs WHERE status IN ('succeeded', 'failed') AND updated_at < \(bind: before) RETURNING id"
            ).all()
            return rows.count
        }
    }

    public func finish(
        id: String, owner: String, status: AnalysisJob.Status, result: JSONValue?, failure: AnalysisJob.Failure?, now: Int64
    ) async throws {
        try await driver.write { db in
            try await db.raw(
                """
                UPDATE analysis_jobs SET status = \(bind: status.rawValue), result = \(bind: result?.canonicalJSON),
                  error_code = \(bind: failure?.code), error_message = \(bind: failure?.message), lease_owner = NULL, lease_until = NULL,
                  updated_at = \(bind: now)
                WHERE id = \(bind: id) AND status = 'running' AND lease_owner = \(bind: owner)
                """
            ).run()
        }
    }

    public func requeue(id: String, owner: String, notBefore: Int64, failure: AnalysisJob.Failure?, now: Int64) async throws {
        try await driver.write { db in
            try await db.raw(
                """
                UPDATE analysis_jobs SET status = 'queued', not_before = \(bind: notBefore), error_code = \(bind: failure?.code),
                  error_message = \(bind: failure?.message), lease_owner = NULL, lease_until = NULL, updated_at = \(bind: now)
                WHERE id = \(bind: id) AND status = 'running' AND lease_owner = \(bind: owner)
                """
            ).run()
        }
    }

    static func job(from row: any SQLRow) throws -> AnalysisJob {
        func corrupt(_ what: String) -> StorageError { StorageError.corruptRow("analysis job: \(what)") }
        let kindName = try row.decode(column: "kind", as: String.self)
        let statusName = try row.decode(column: "status", as: String.self)
        guard let kind = AnalysisJob.Kind(rawValue: kindName) else { throw corrupt("kind \(kindName)") }
        guard let status = AnalysisJob.Status(rawValue: statusName) else { throw corrupt("status \(statusName)") }
        guard let subject = SubjectID(try row.decode(column: "subject", as: String.self)) else { throw corrupt("subject") }
        func instant(_ prefix: String) throws -> Timestamp? {
            guard let micros = try row.decode(column: prefix + "_utc", as: Int64?.self) else { return nil }
            return Timestamp(microseconds: micros, offsetSeconds: Int32(try row.decode(column: prefix + "_offset", as: Int?.self) ?? 0))
        }
        let options = try JSONParser.parse(Array(try row.decode(column: "options", as: String.self).utf8))
        let result = try row.decode(column: "result", as: String?.self).map { try JSONParser.parse(Array($0.utf8)) }
        let code = try row.decode(column: "error_code", as: String?.self)
        let message = try row.decode(column: "error_message", as: String?.self)
        return AnalysisJob(
            id: try row.decode(column: "id", as: String.self), organization: try row.decode(column: "organization", as: String.self),
            subject: subject, kind: kind, status: status, from: try instant("from"), to: try instant("to"), options: options,
            result: result,
            failure: code.map { AnalysisJob.Failure(code: $0, message: message ?? "") },
            attempts: try row.decode(column: "attempts", as: Int.self),
            requestedBy: try row.decode(column: "requested_by", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            updatedAt: try row.decode(column: "updated_at", as: Int64.self), notBefore: try row.decode(column: "not_before", as: Int64.self)
        )
    }
}
