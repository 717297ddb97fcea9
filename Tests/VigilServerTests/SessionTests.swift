import Foundation
import Testing
import VigilCore

/// Realtime sessions over `/v1/stream`.
@Suite("Realtime sessions", .serialized)
struct SessionTests {
    @Test("a patient and a granted clinician share a session: joins, sanitised text, audio; others get not_found", arguments: Backend.all)
    func shared(backend: Backend) async throws {
        try await TestApp.run(backend, testing: .live) { app in
            let (patient, patientToken) = try await app.patient()
            let clinician = try await app.addUser(.clinician)
            let stranger = try await app.addUser(.clinician)
            let granted = try await app.post(
                "/v1/subjects/\(patient)/grants", json: #"{"grantee":"\#(clinician.name)","scope":"read"}"#, token: patientToken)
            #expect(granted.status == .created)
            let clinicianToken = try await app.login(clinician.name, clinician.password).accessToken
            let strangerToken = try await app.login(stranger.name, stranger.password).accessToken
            let session = "\(patient):visit-1"
            let audio = try RealtimeAudioFrame(session: session, payload: [1, 2, 3, 4]).encoded()
            async let patientSide = app.stream(
                token: patientToken, until: { $0.has("message") }, binary: audio
            ) { send, probe in
                try await send(#"{"type":"session.join","session":"\#(session)"}"#)
                try await probe.wait("the clinician's join") { $0.has("joined", user: clinician.name) }
                try await send(#"{"type":"text","session":"\#(session)","text":"hello\u0000 there\u0007"}"#)
                try await send("<binary>")
            }
            async let clinicianSide = app.stream(
                token: clinicianToken, until: { $0.has("message") && !$0.binary.withLock { $0 }.isEmpty }
            ) { send, _ in
                try await send(#"{"type":"session.join","session":"\#(session)"}"#)
            }
            let (patientProbe, clinicianProbe) = try await (patientSide, clinicianSide)
            let text = clinicianProbe.sessionEvents().first { $0["event"] as? String == "message" }
            #expect(text?["text"] as? String == "hello there")
            #expect(text?["from"] as? String == patient)
            #expect(patientProbe.has("joined", user: clinician.name))
            #expect(clinicianProbe.binary.withLock { $0 } == [audio])
            #expect(patientProbe.binary.withLock { $0 }.isEmpty, "audio goes to the others only")
            let refused = try await app.stream(token: strangerToken, until: { !$0.messages.isEmpty }) { send, _ in
                try await send(#"{"type":"session.join","session":"\#(session)","id":"j"}"#)
            }
            #expect(refused.messages.first?["code"] as? String == "not_found")
        }
    }

    @Test("an idle session ends after 30 minutes: the cleanup service closes it and tells its members (injected clock)")
    func idleExpiry() async throws {
        let clock = ManualJobClock()
        try await TestApp.run(.sqlite, analysis: AnalysisRuntime(clock: clock), testing: .live) { app in
            let (patient, token) = try await app.patient()
            let probe = try await app.stream(token: token, until: { $0.has("closed") }) { send, probe in
                try await send(#"{"type":"session.join","session":"\#(patient):idle"}"#)
                try await probe.wait("the join") { $0.has("joined") }
                clock.advance(byMicros: 29 * 60 * 1_000_000)  // the janitor runs at 5-minute steps: not idle long enough yet
                try await Task.sleep(for: .milliseconds(100))
                #expect(!probe.has("closed"))
                clock.advance(byMicros: 6 * 60 * 1_000_000)
            }
            #expect(probe.sessionEvents().last?["event"] as? String == "closed")
            #expect(probe.sessionEvents().last?["reason"] as? String == "expired")
        }
    }
}
