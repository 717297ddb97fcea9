import Foundation
import Synchronization
import Testing
import VigilCore

/// A live stream lasts only while its caller may read the subject.
@Suite("Stream access re-checks", .serialized)
struct StreamAccessTests {
    static func isRevoked(_ probe: StreamProbe) -> Bool {
        probe.messages.contains { $0["type"] as? String == "unsubscribed" && $0["reason"] as? String == "access_revoked" }
    }

    @Test("a grant revoked mid-stream ends the subscription and the session membership before the next batch", arguments: Backend.all)
    func revokedGrant(backend: Backend) async throws {
        try await TestApp.run(backend, testing: .live) { app in
            let (patient, patientToken) = try await app.patient()
            let clinician = try await app.addUser(.clinician)
            let grant = try await app.post(
                "/v1/subjects/\(patient)/grants", json: #"{"grantee":"\#(clinician.name)","scope":"read"}"#, token: patientToken)
            let grantID = try #require(try grant.jsonObject()["id"] as? String)
            let token = try await app.login(clinician.name, clinician.password).accessToken
            let probe = try await app.stream(token: token, until: { Self.isRevoked($0) && $0.has("closed") }) { send, probe in
                try await send(#"{"type":"subscribe","subject":"\#(patient)"}"#)
                try await send(#"{"type":"session.join","session":"\#(patient):visit"}"#)
                try await probe.wait("subscribed and joined") {
                    $0.messages.contains { $0["type"] as? String == "subscribed" } && $0.has("joined")
                }
                try await app.postHeartRates(patient, token: patientToken, count: 2, offset: 0)
                try await probe.wait("the first batch") { $0.samples().count == 1 }
                #expect(
                    try await app.tracked(.delete, "/v1/subjects/\(patient)/grants/\(grantID)", token: patientToken).status == .noContent)
                try await app.postHeartRates(patient, token: patientToken, count: 2, offset: 100)
            }
            #expect(Self.isRevoked(probe))
            #expect(probe.sessionEvents().last?["reason"] as? String == "access_revoked")
            try await Task.sleep(for: .milliseconds(300))
            #expect(probe.samples().count == 1, "nothing after the revocation")
            // Subscribing again is refused like any subject the caller may not see.
            let again = try await app.stream(token: token, until: { !$0.messages.isEmpty }) { send, _ in
                try await send(#"{"type":"subscribe","subject":"\#(patient)"}"#)
            }
            #expect(again.messages.first?["code"] as? String == "not_found")
        }
    }

    @Test("logging out closes the login's streams with 4001", arguments: Backend.all)
    func logout(backend: Backend) async throws {
        try await TestApp.run(backend, testing: .live) { app in
            let other = try await app.addUser(.patient)
            let pair = try await app.login(other.name, other.password)
            let probe = try await app.stream(token: pair.accessToken, until: { _ in false }) { send, probe in
                try await send(#"{"type":"subscribe","subject":"\#(other.name)"}"#)
                try await probe.wait("subscribed") { $0.messages.contains { $0["type"] as? String == "subscribed" } }
                #expect(try await app.post("/v1/auth/logout", json: #"{"refresh_token":"\#(pair.refreshToken)"}"#).status == .noContent)
            }
            #expect(probe.closeCode.withLock { $0 } == 4001)
        }
    }

    @Test("a grant that expires ends the stream at the next periodic re-check")
    func expiredGrant() async throws {
        let offset = Mutex<TimeInterval>(0)
        try await TestApp.run(
            .sqlite, configure: { $0.stream.accessRecheckInterval = 100_000 },
            now: { Date().addingTimeInterval(offset.withLock { $0 }) }, testing: .live
        ) { app in
            let (patient, patientToken) = try await app.patient()
            let clinician = try await app.addUser(.clinician)
            let expiry = Timestamp(microseconds: Int64((Date().timeIntervalSince1970 + 60) * 1_000_000), offsetSeconds: 0).rfc3339
            let grant = try await app.post(
                "/v1/subjects/\(patient)/grants", json: #"{"grantee":"\#(clinician.name)","scope":"read","expires_at":"\#(expiry)"}"#,
                token: patientToken)
            #expect(grant.status == .created)
            let token = try await app.login(clinician.name, clinician.password).accessToken
            let probe = try await app.stream(token: token, until: { Self.isRevoked($0) }) { send, probe in
                try await send(#"{"type":"subscribe","subject":"\#(patient)"}"#)
                try await probe.wait("subscribed") { $0.messages.contains { $0["type"] as? String == "subscribed" } }
                try await Task.sleep(for: .milliseconds(300))
                #expect(!Self.isRevoked(probe), "still granted")
                offset.withLock { $0 = 120 }
            }
            #expect(Self.isRevoked(probe))
        }
    }
}

/// The stream outbox keeps `VIGIL_STREAM_RETENTION_DAYS` of events.
@Suite("Stream outbox retention", .serialized)
struct StreamRetentionTests {
    @Test(
        "events older than the retention are pruned hourly; a replay from before them is refused with cursor_expired",
        arguments: Backend.all)
    func retention(backend: Backend) async throws {
        let clock = ManualJobClock()
        let offset = Mutex<TimeInterval>(0)
        try await ScratchDatabase.with(backend) { url in
            try await TestApp.run(
                backend, url: url, now: { Date().addingTimeInterval(offset.withLock { $0 }) }, analysis: AnalysisRuntime(clock: clock),
                testing: .live
            ) { app in
                let patient = try await app.addUser(.patient)
                let token = try await app.login(patient.name, patient.password).accessToken
                for batch in 0..<2 { try await app.postHeartRates(patient.name, token: token, count: 3, offset: batch * 10) }
                let kept = try await app.store.sampleEvents.events(after: 0, kinds: [.samples], limit: 10)
                #expect(kept.count == 2)
                let last = try #require(kept.last?.cursor)

                offset.withLock { $0 = 8 * 86_400 }  // eight days later: older than the default seven
                clock.advance(byMicros: 3_600 * 1_000_000)
                let started = ContinuousClock.now
                while try await app.store.sampleEvents.prunedThrough() < last, ContinuousClock.now - started < .seconds(30) {
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(try await app.store.sampleEvents.events(after: 0, kinds: [.samples], limit: 10).isEmpty)
                let fresh = try await app.login(patient.name, patient.password).accessToken
                let probe = try await app.stream(token: fresh, until: { $0.messages.count >= 2 }) { send, _ in
                    try await send(#"{"type":"subscribe","subject":"\#(patient.name)","since":0,"id":"old"}"#)
                    try await send(#"{"type":"subscribe","subject":"\#(patient.name)","since":\#(last),"id":"new"}"#)
                }
                #expect(probe.messages.first?["code"] as? String == "cursor_expired")
                #expect(probe.messages.last?["type"] as? String == "subscribed")
            }
        }
    }
}
