import Foundation
import SQLKit
import Synchronization
import VigilStorage

/// Rows written straight to the jobs table, as an older version or a dead node would have left them.
struct TestAppStore {
    let store: VigilStore

    func insert(
        id: String, organization: String, subject: String = "someone", options: String = "{}", requestedBy: String = "someone",
        status: String = "queued", attempts: Int = 0, notBefore: Int64, leaseUntil: Int64? = nil, updatedAt: Int64 = 0
    ) async throws {
        try await store.driver.write { db in
            try await db.raw(
                """
                INSERT INTO analysis_jobs (id, organization, subject, kind, status, options, attempts, requested_by, created_at, updated_at,
                  not_before, lease_owner, lease_until)
                VALUES (\(bind: id), \(bind: organization), \(bind: subject), 'actigraphy_report', \(bind: status), \(bind: options),
                  \(bind: attempts), \(bind: requestedBy), \(bind: notBefore), \(bind: updatedAt), \(bind: notBefore),
                  \(bind: leaseUntil == nil ? nil : "dead-node"), \(bind: leaseUntil))
                """
            ).run()
        }
    }
}

/// A clock the test moves by hand (for the login throttle).
final class ManualWallClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(seconds: Double) { current.withLock { $0 += seconds } }
}

extension HostileInputTests {

    /// Jobs of an organisation or a requester (the PostgreSQL test database is shared by every test).
    static func jobCount(_ app: TestApp, organization: String? = nil, requestedBy: String? = nil) async throws -> Int {
        try await app.store.driver.read { db in
            let filter: SQLQueryString =
                organization.map { "WHERE organization = \(bind: $0)" } ?? requestedBy.map { "WHERE requested_by = \(bind: $0)" } ?? ""
            return try await db.raw("SELECT COUNT(*) AS n FROM analysis_jobs \(filter)").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    static func insertJob(
        _ app: TestApp, id: String, subject: String, options: String, organization: String = "default", requestedBy: String? = nil,
        status: String = "queued", attempts: Int = 0, leaseUntil: Int64? = nil, notBefore: Int64 = 0
    ) async throws {
        try await TestAppStore(store: app.store).insert(
            id: id, organization: organization, subject: subject, options: options, requestedBy: requestedBy ?? subject, status: status,
            attempts: attempts, notBefore: notBefore, leaseUntil: leaseUntil)
    }
}
