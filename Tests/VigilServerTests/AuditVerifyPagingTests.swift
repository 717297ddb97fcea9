import Foundation
import SQLKit
import Testing
import VigilCore
import VigilStorage

/// Changes behind Vigil's back at chosen places in a 30-event chain, for verification read in small pages.
enum PagedTamper: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case none, editMiddle, deleteAtPageEnd, deleteNewest, editLink, headFarAhead, headBehind, unknownAction, nulledField

    var testDescription: String { rawValue }

    /// The first broken link a sequential walk reports (pages of 4: 1–4, 5–8, 9–12, …).
    var brokenAt: Int64? {
        switch self {
        case .none: nil
        case .editMiddle: 13
        case .deleteAtPageEnd: 12
        case .deleteNewest: 30
        case .editLink: 21
        case .headFarAhead: 31
        case .headBehind: 20
        case .unknownAction: 17
        case .nulledField: 8
        }
    }

    func apply(on db: any SQLDatabase) async throws {
        switch self {
        case .none: break
        case .editMiddle: try await db.raw("UPDATE audit_events SET subject = 'someone else' WHERE seq = 13").run()
        case .deleteAtPageEnd: try await db.raw("DELETE FROM audit_events WHERE seq = 12").run()
        case .deleteNewest: try await db.raw("DELETE FROM audit_events WHERE seq = 30").run()
        case .editLink: try await db.raw("UPDATE audit_events SET prev_hash = hash WHERE seq = 21").run()
        case .headFarAhead: try await db.raw("UPDATE audit_heads SET seq = 1000000000000000").run()
        case .headBehind: try await db.raw("UPDATE audit_heads SET seq = 20").run()
        case .unknownAction: try await db.raw("UPDATE audit_events SET action = 'sample.erase' WHERE seq = 17").run()
        case .nulledField: try await db.raw("UPDATE audit_events SET actor_id = NULL WHERE seq = 8").run()
        }
    }
}

/// Serialized: each PostgreSQL case makes a database of its own, and eighteen at once swamp the test cluster.
@Suite("Audit verification in pages", .serialized)
struct AuditVerifyPagingTests {
    static func event(_ i: Int) -> AuditEvent {
        AuditEvent(
            organization: "paged",
            actor: .init(userID: "u-\(i)", username: "dr-\(i)", role: "clinician"),
            action: i % 2 == 0 ? .sampleWrite : .sampleRead,
            resourceType: "Observation",
            subject: i % 3 == 0 ? nil : "patient-\(i)",
            recordCount: i,
            outcome: .success,
            occurredAt: 1_795_000_000_000_000 + Int64(i),
            // Some values need JSON escaping in the canonical encoding (SQLite verifies from the stored bytes).
            origin: .init(
                requestID: "r-\(i)", clientAddress: i % 5 == 0 ? nil : "10.0.0.\(i)",
                userAgent: i % 4 == 0 ? "tests \"quoted\"\\ é\n\u{01}" : "tests")
        )
    }

    @Test(
        "pages read and hashed concurrently report the same count, head and first break as one sequential walk",
        arguments: Backend.all, PagedTamper.allCases)
    func pagedVerifyMatchesSequential(backend: Backend, tamper: PagedTamper) async throws {
        try await ScratchDatabase.with(backend) { url in
            let store = try await VigilStore.open(url: url, logger: .init(label: "paged"))
            try await store.withRunning {
                _ = try await store.migrate()
                try await store.audit.append((0..<10).map(Self.event))
                for i in 10..<30 { try await store.audit.append([Self.event(i)]) }
                try await store.driver.write { db in try await tamper.apply(on: db) }

                let whole = try await store.audit.verify(pageSize: 10_000, pagesAhead: 1)
                for (pageSize, ahead) in [(4, 3), (4, 1), (1, 8), (7, 2), (30, 2)] {
                    let paged = try await store.audit.verify(pageSize: pageSize, pagesAhead: ahead)
                    #expect(paged.count == 1)
                    #expect(paged.first?.firstBreak == whole.first?.firstBreak, "pages of \(pageSize), \(ahead) ahead")
                    #expect(paged.first?.count == whole.first?.count)
                    #expect(paged.first?.headHash == whole.first?.headHash)
                }
                #expect(whole.first?.firstBreak?.sequence == tamper.brokenAt, "\(whole)")
                if tamper == .none { #expect(whole.first?.count == 30) }
            }
        }
    }

    /// Edits only SQLite allows (dynamic types, bytes that are not UTF-8), each with where it breaks.
    static let sqliteEdits: [(String, Int64?)] = [
        // Stays REAL in a BIGINT column: SQLite converts neither ±2^63 to an integer.
        ("UPDATE audit_events SET occurred_at = -9223372036854775808.0 WHERE seq = 5", 5),
        ("UPDATE audit_events SET user_agent = CAST(X'61FF62' AS TEXT) WHERE seq = 7", 7),
        // The same text as the stored "a\u{FFFD}b" once repaired, as the generic path reads it: intact.
        ("UPDATE audit_events SET user_agent = CAST(X'61FF62' AS TEXT) WHERE seq = 31", nil),
        // Text that SQLite stores as the same integer, and a hash stored as a blob of the same bytes: intact.
        ("UPDATE audit_events SET record_count = '11' WHERE seq = 12", nil),
        ("UPDATE audit_events SET hash = CAST(hash AS BLOB) WHERE seq = 20", nil),
    ]

    @Test("on SQLite, hashing rows straight from SQLite's memory reports what the generic row path reports")
    func directMatchesGeneric() async throws {
        try await ScratchDatabase.with(.sqlite) { url in
            let store = try await VigilStore.open(url: url, logger: .init(label: "paged"))
            try await store.withRunning {
                _ = try await store.migrate()
                try await store.audit.append((0..<30).map(Self.event))
                var odd = Self.event(30)
                odd.origin.userAgent = "a\u{FFFD}b"
                try await store.audit.append([odd])
                for (edit, brokenAt) in Self.sqliteEdits {
                    try await store.driver.write { db in try await db.raw(SQLQueryString(edit)).run() }
                    let direct = try await store.audit.verify(pageSize: 4)
                    let generic = try await store.audit.verify(pageSize: 4, readingSQLiteDirectly: false)
                    #expect(direct.first?.firstBreak == generic.first?.firstBreak, "\(edit)")
                    #expect(direct.first?.count == generic.first?.count, "\(edit)")
                    #expect(direct.first?.headHash == generic.first?.headHash, "\(edit)")
                    #expect(direct.first?.firstBreak?.sequence == brokenAt, "\(edit): \(direct)")
                    // Each edit alone: put the chain back before the next one.
                    try await store.driver.write { db in
                        try await db.raw("DELETE FROM audit_events").run()
                        try await db.raw("DELETE FROM audit_heads").run()
                    }
                    try await store.audit.append((0..<30).map(Self.event))
                    try await store.audit.append([odd])
                }
            }
        }
    }
}
