import Foundation
import HTTPTypes
import Synchronization
import Testing
import VigilCore
import VigilStorage

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

    /// The 401 summary events stored in the unattributed chain.
    static func summaries(_ store: VigilStore) async throws -> [ChainedAuditEvent] {
        var query = AuditQuery(organization: AuditEvent.unattributedOrganization, limit: 10)
        query.requestID = "summary"
        return try await store.audit.events(query)
    }

    @Test("a minute's summary is written without waiting for the next refusal: by the periodic flush, and at shutdown")
    func summariesFlushed() async throws {
        // Periodic: the minute ends (injected clock) and no refusal follows.
        let offset = Mutex<TimeInterval>(0)
        try await TestApp.run(
            .sqlite,
            configure: {
                $0.auditRejectedPerMinute = 1; $0.auditSummaryInterval = .milliseconds(50)
            },
            now: { Date().addingTimeInterval(offset.withLock { $0 }) }
        ) { app in
            for _ in 0..<3 { _ = try await app.tracked(.get, "/v1/me", token: "junk") }
            offset.withLock { $0 = 61 }
            let started = ContinuousClock.now
            while try await Self.summaries(app.store).isEmpty, ContinuousClock.now - started < .seconds(20) {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await Self.summaries(app.store).map(\.event.recordCount) == [2])
        }
        // Shutdown: the running minute's summary is written before the store closes.
        try await ScratchDatabase.with(.sqlite) { url in
            try await TestApp.run(.sqlite, url: url, configure: { $0.auditRejectedPerMinute = 1 }) { app in
                for _ in 0..<4 { _ = try await app.tracked(.get, "/v1/me", token: "junk") }
                #expect(try await Self.summaries(app.store).isEmpty)
            }
            let store = try await VigilStore.open(url: url, logger: .init(label: "after"))
            let written = try await store.withRunning { try await Self.summaries(store) }
            #expect(written.map(\.event.recordCount) == [3])
        }
    }
}
