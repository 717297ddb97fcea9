import Foundation
import SQLKit
import Testing
import VigilCore
import VigilStorage

/// Changes made directly in the database, behind Vigil's back: `vigil audit verify` must find each one.
enum Tamper: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case updateField, deleteRow, insertRow, swapRows

    var testDescription: String { rawValue }

    /// The sequence number the verifier must report as the first broken link.
    var brokenAt: Int64 { self == .swapRows ? 2 : 3 }

    func apply(organization org: String, on db: any SQLDatabase) async throws {
        switch self {
        case .updateField:
            try await db.raw("UPDATE audit_events SET record_count = record_count + 1 WHERE organization = \(bind: org) AND seq = 3").run()
        case .deleteRow:
            try await db.raw("DELETE FROM audit_events WHERE organization = \(bind: org) AND seq = 3").run()
        case .insertRow:
            // Make room at 3 and put a copy of event 2 there, linked to event 2's hash.
            try await db.raw("UPDATE audit_events SET seq = -seq WHERE organization = \(bind: org) AND seq >= 3").run()
            try await db.raw("UPDATE audit_events SET seq = -seq + 1 WHERE organization = \(bind: org) AND seq < 0").run()
            try await db.raw(
                """
                INSERT INTO audit_events (organization, seq, occurred_at, actor_id, actor_username, actor_role, action, resource_type, subject,
                  record_count, outcome, request_id, client_address, user_agent, prev_hash, hash)
                SELECT organization, 3, occurred_at, actor_id, actor_username, actor_role, action, resource_type, subject,
                  record_count, outcome, request_id, client_address, user_agent, hash, hash
                FROM audit_events WHERE organization = \(bind: org) AND seq = 2
                """
            ).run()
        case .swapRows:
            try await db.raw("UPDATE audit_events SET seq = -1 WHERE organization = \(bind: org) AND seq = 2").run()
            try await db.raw("UPDATE audit_events SET seq = 2 WHERE organization = \(bind: org) AND seq = 3").run()
            try await db.raw("UPDATE audit_events SET seq = 3 WHERE organization = \(bind: org) AND seq = -1").run()
        }
    }
}

@Suite("Audit tampering")
struct AuditTamperTests {
    @Test("vigil audit verify passes an intact trail and finds each kind of tampering", arguments: Backend.all, Tamper.allCases)
    func tampering(backend: Backend, tamper: Tamper) async throws {
        try await ScratchDatabase.with(backend) { url in
            try await TestApp.run(backend, url: url) { app in
                let (subject, token) = try await app.patient()
                for _ in 0..<6 { _ = try await app.get("/v1/subjects/\(subject)/samples", token: token) }
            }
            let intact = try await VigilBinary.run(["audit", "verify", "--database", url])
            #expect(intact.status == 0, "\(intact.output)")
            #expect(intact.output.contains("ok organization default: 7 events"), "\(intact.output)")

            let store = try await VigilStore.open(url: url, logger: .init(label: "tamper"))
            try await store.withRunning {
                try await store.driver.write { db in try await tamper.apply(organization: "default", on: db) }
            }
            let broken = try await VigilBinary.run(["audit", "verify", "--database", url])
            #expect(broken.status == 1, "\(broken.output)")
            #expect(broken.output.contains("BROKEN organization default: broken at sequence \(tamper.brokenAt)"), "\(broken.output)")
        }
    }
}
