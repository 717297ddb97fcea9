import Foundation
import SQLKit
import Testing
import VigilCore
import VigilStorage

/// Chain heads signed with a key kept outside the database: a rewrite by someone who can write the
/// database but lacks the key is found, and so is a rollback or a vanished organisation against anchors.
@Suite("Audit head signatures")
struct AuditSignatureTests {
    static let key = "audit-key-for-tests-audit-key-for-tests-0123"

    static func write(_ url: String, _ edit: @Sendable (any SQLDatabase) async throws -> Void) async throws {
        let store = try await VigilStore.open(url: url, logger: .init(label: "tamper"))
        try await store.withRunning { try await store.driver.write { db in try await edit(db) } }
    }

    static func cli(_ arguments: [String], _ url: String, key: String? = Self.key, input: String? = nil) async throws -> (Int32, String) {
        var environment = ["VIGIL_DATABASE_URL": url, "VIGIL_BCRYPT_COST": "4"]
        if let key { environment["VIGIL_AUDIT_KEY"] = key }
        let result = try await VigilBinary.run(arguments, environment: environment, input: input)
        return (result.status, result.output)
    }

    /// Three users added by the CLI: three audit events in one organisation named `org`.
    static func seed(_ url: String, organization: String, key: String? = Self.key) async throws {
        for index in 0..<3 {
            let (status, output) = try await cli(
                ["users", "add", "--username", "\(organization)-u\(index)", "--role", "patient", "--org", organization], url, key: key,
                input: "a long enough password\n")
            #expect(status == 0, "\(output)")
        }
    }

    @Test("heads are signed; a consistent rewrite without the key, and a truncation, are found", arguments: Backend.all)
    func rewriteWithoutKey(backend: Backend) async throws {
        try await ScratchDatabase.with(backend) { url in
            let organization = "sig-\(UUID().uuidString.prefix(6).lowercased())"
            try await Self.seed(url, organization: organization)
            let intact = try await Self.cli(["audit", "verify"], url)
            #expect(intact.0 == 0, "\(intact.1)")
            #expect(intact.1.contains("ok organization \(organization): 3 events, head") && intact.1.contains("head signature valid"))
            // Without the key the chain still verifies, and says the head was not checked.
            let keyless = try await Self.cli(["audit", "verify"], url, key: nil)
            #expect(keyless.0 == 0 && keyless.1.contains("head not signed"), "\(keyless.1)")

            // Someone with write access drops the newest event and moves the head back consistently.
            try await Self.write(url) { db in
                try await db.raw("DELETE FROM audit_events WHERE organization = \(bind: organization) AND seq = 3").run()
                try await db.raw(
                    """
                    UPDATE audit_heads SET seq = 2, hash = (SELECT hash FROM audit_events WHERE organization = \(bind: organization) AND seq = 2)
                    WHERE organization = \(bind: organization)
                    """
                ).run()
            }
            let truncated = try await Self.cli(["audit", "verify"], url)
            #expect(truncated.0 == 1)
            #expect(truncated.1.contains("BROKEN organization \(organization)") && truncated.1.contains("signature does not match"), "\(truncated.1)")
            // Stripping the signature does not help either.
            try await Self.write(url) { db in
                try await db.raw("UPDATE audit_heads SET signature = NULL WHERE organization = \(bind: organization)").run()
            }
            let stripped = try await Self.cli(["audit", "verify"], url)
            #expect(stripped.0 == 1 && stripped.1.contains("not signed"), "\(stripped.1)")
        }
    }

    @Test("anchors find a rollback to an old signed head and an organisation that vanished", arguments: Backend.all)
    func anchors(backend: Backend) async throws {
        try await ScratchDatabase.with(backend) { url in
            let organization = "anc-\(UUID().uuidString.prefix(6).lowercased())"
            let other = "gone-\(UUID().uuidString.prefix(6).lowercased())"
            try await Self.seed(url, organization: organization)
            try await Self.seed(url, organization: other)
            // The head row after three events, as an attacker could copy it.
            let store = try await VigilStore.open(url: url, logger: .init(label: "anchor"))
            let oldHead = try await store.withRunning { try await store.audit.storedHeads().first { $0.organization == organization } }
            let old = try #require(oldHead)
            // Three more events; then an anchor is taken and kept off-site.
            for index in 3..<6 {
                _ = try await Self.cli(
                    ["users", "add", "--username", "\(organization)-u\(index)", "--role", "patient", "--org", organization], url,
                    input: "a long enough password\n")
            }
            let anchor = try await Self.cli(["audit", "anchor"], url)
            #expect(anchor.0 == 0 && anchor.1.contains("\"seq\":6"), "\(anchor.1)")
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("anchors-\(UUID().uuidString).jsonl")
            defer { try? FileManager.default.removeItem(at: file) }
            try anchor.1.write(to: file, atomically: true, encoding: .utf8)
            let fine = try await Self.cli(["audit", "verify", "--anchors", file.path], url)
            #expect(fine.0 == 0 && fine.1.contains("anchored heads found"), "\(fine.1)")

            // Roll back to the old, validly signed head, and delete the other organisation entirely.
            try await Self.write(url) { db in
                try await db.raw("DELETE FROM audit_events WHERE organization = \(bind: organization) AND seq > 3").run()
                try await db.raw(
                    "UPDATE audit_heads SET seq = 3, hash = \(bind: old.hash), signature = \(bind: old.signature) WHERE organization = \(bind: organization)"
                ).run()
                try await db.raw("DELETE FROM audit_events WHERE organization = \(bind: other)").run()
                try await db.raw("DELETE FROM audit_heads WHERE organization = \(bind: other)").run()
            }
            // Without anchors the rollback is invisible (the old head is genuinely signed): that is what anchors are for.
            let plain = try await Self.cli(["audit", "verify"], url)
            #expect(plain.1.contains("ok organization \(organization): 3 events"), "\(plain.1)")
            let caught = try await Self.cli(["audit", "verify", "--anchors", file.path], url)
            #expect(caught.0 == 1)
            #expect(caught.1.contains("organization \(organization) rolled back"), "\(caught.1)")
            #expect(caught.1.contains("organization \(other) vanished"), "\(caught.1)")
        }
    }

    @Test("heads written before a key was configured are signed once by sign-heads; a broken chain never is", arguments: Backend.all)
    func signHeads(backend: Backend) async throws {
        try await ScratchDatabase.with(backend) { url in
            let organization = "old-\(UUID().uuidString.prefix(6).lowercased())"
            try await Self.seed(url, organization: organization, key: nil)
            let unsigned = try await Self.cli(["audit", "verify"], url)
            #expect(unsigned.0 == 1 && unsigned.1.contains("not signed"), "\(unsigned.1)")
            let signed = try await Self.cli(["audit", "sign-heads"], url)
            #expect(signed.0 == 0 && signed.1.contains("signed organization \(organization)"), "\(signed.1)")
            let verified = try await Self.cli(["audit", "verify"], url)
            #expect(verified.0 == 0, "\(verified.1)")

            let edited = "edit-\(UUID().uuidString.prefix(6).lowercased())"
            try await Self.seed(url, organization: edited, key: nil)
            try await Self.write(url) { db in
                try await db.raw("UPDATE audit_events SET record_count = 7 WHERE organization = \(bind: edited) AND seq = 2").run()
            }
            let refused = try await Self.cli(["audit", "sign-heads"], url)
            #expect(refused.1.contains("not signed (broken"), "\(refused.1)")
        }
    }
}
