import Foundation
import HTTPTypes
import Synchronization
import Testing
import VigilCore

@Suite("Refused requests are audited")
struct RejectedTokenAuditTests {
    @Test(
        "a 401 leaves one auth.token event: unattributed for a foreign token, naming the user for a logged-out one", arguments: Backend.all)
    func refusedRequests(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let patient = try await app.addUser(.patient)
            let samples = "/v1/subjects/\(patient.name)/samples"
            let unattributed = AuditEvent.unattributedOrganization
            for token in [nil, "not-a-token", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"] {
                let request = try await app.tracked(.get, samples, token: token)
                #expect(request.status == .unauthorized)
                let events = try await app.auditEvents(requestID: request.requestID, organization: unattributed)
                #expect(events.count == 1)
                #expect(events.first?.event.action == .tokenRejected)
                #expect(events.first?.event.outcome == .denied)
                #expect(events.first?.event.subject == patient.name)
                #expect(events.first?.event.actor == .init())
            }

            let pair = try await app.login(patient.name, patient.password)
            #expect(try await app.post("/v1/auth/logout", json: #"{"refresh_token":"\#(pair.refreshToken)"}"#).status == .noContent)
            let stale = try await app.tracked(.get, "/v1/me", token: pair.accessToken)
            #expect(stale.status == .unauthorized)
            let events = try await app.auditEvents(requestID: stale.requestID, organization: unattributed)
            #expect(events.count == 1)
            #expect(events.first?.event.actor.userID != nil)
            #expect(events.first?.event.subject == nil)
            // Valid tokens are not refused, and leave no auth.token event.
            let fine = try await app.tracked(.get, "/v1/me", token: try await app.login(patient.name, patient.password).accessToken)
            #expect(fine.status == .ok)
            #expect(try await app.auditEvents(requestID: fine.requestID, organization: unattributed).isEmpty)
        }
    }

    @Test("past the per-address limit a minute's refusals become one summary event", arguments: Backend.all)
    func floodIsSummarised(backend: Backend) async throws {
        let offset = Mutex<TimeInterval>(0)
        try await TestApp.run(
            backend, configure: { $0.auditRejectedPerMinute = 3 }, now: { Date().addingTimeInterval(offset.withLock { $0 }) }
        ) { app in
            let unattributed = AuditEvent.unattributedOrganization
            var counts: [Int] = []
            for _ in 0..<5 {
                let request = try await app.tracked(.get, "/v1/me", token: "junk")
                #expect(request.status == .unauthorized)
                counts.append(try await app.auditEvents(requestID: request.requestID, organization: unattributed).count)
            }
            #expect(counts == [1, 1, 1, 0, 0])
            offset.withLock { $0 = 61 }
            let next = try await app.tracked(.get, "/v1/me", token: "junk")
            #expect(try await app.auditEvents(requestID: next.requestID, organization: unattributed).count == 1)
            let summaries = try await app.auditEvents(requestID: "summary", organization: unattributed)
            #expect(summaries.last?.event.recordCount == 2)
            #expect(summaries.last?.event.action == .tokenRejected)
        }
    }
}
