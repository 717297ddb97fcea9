import Foundation
import HTTPTypes
import PropertyBased
import Synchronization
import Testing
import VigilCore

/// Random sequences of requests by random callers: afterwards every chain verifies and each request
/// left exactly one audit event in its organisation.
@Suite("Audit chain (property-based)")
struct AuditChainPropertyTests {
    @Test("random request sequences keep every chain valid, one event per request", arguments: Backend.all)
    func randomSequences(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let org = "prop-\(UUID().uuidString.prefix(6).lowercased())"
            let patient = try await app.addUser(.patient, organization: org)
            let clinician = try await app.addUser(.clinician, organization: org)
            let auditor = try await app.addUser(.auditor, organization: org)
            var tokens = [String]()
            for user in [patient, clinician, auditor] { tokens.append(try await app.login(user.name, user.password).accessToken) }
            let fixedTokens = tokens
            let samples = "/v1/subjects/\(patient.name)/samples"
            let grants = "/v1/subjects/\(patient.name)/grants"
            let requests: [@Sendable (String) async throws -> HTTPResponse.Status] = [
                { try await app.get(samples, token: $0).status },
                { try await app.post(samples, json: SampleJSON.batch(SampleJSON.heartRates(2)), token: $0).status },
                { try await app.post(samples, json: #"{"samples":[{"type":"x"}]}"#, token: $0).status },
                { try await app.get(grants, token: $0).status },
                { try await app.post(grants, json: #"{"grantee":"\#(clinician.name)","scope":"read"}"#, token: $0).status },
                { try await app.get("/v1/audit-events?limit=3", token: $0).status },
                { try await app.get("/v1/users", token: $0).status },
            ]
            let before = try await app.store.audit.events(AuditQuery(organization: org, limit: 100_000)).count
            let sent = Counter()
            await propertyCheck(count: 15, input: Gen.int(in: 0..<requests.count).array(of: 1...12), Gen.int(in: 0..<3).array(of: 12)) {
                picks, callers in
                for (i, pick) in picks.enumerated() {
                    _ = try? await requests[pick](fixedTokens[callers[i % callers.count]])
                    sent.increment()
                }
                let chains = (try? await app.store.audit.verify()) ?? []
                #expect(chains.allSatisfy { $0.firstBreak == nil }, "\(chains.compactMap(\.firstBreak))")
            }
            let after = try await app.store.audit.events(AuditQuery(organization: org, limit: 100_000)).count
            #expect(after - before == sent.value)
        }
    }
}

final class Counter: Sendable {
    private let storage = Mutex(0)
    func increment() { storage.withLock { $0 += 1 } }
    var value: Int { storage.withLock { $0 } }
}
