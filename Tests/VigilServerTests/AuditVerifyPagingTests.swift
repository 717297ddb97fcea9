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

@Suite("Audit verification in pages")
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
}
