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
                try await send(#"{"type":"status","id":"st"}"#)
                try await probe.wait("status") { $0.messages.contains { $0["type"] as? String == "status" } }
                let status = probe.messages.first { $0["type"] as? String == "status" }
                #expect(status?["sessions"] as? [String] == [session])
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

    @Test("two nodes on one PostgreSQL share a session: presence, messages with one sequence, history for a late joiner")
    func twoNodes() async throws {
        guard Backend.all.contains(.postgres) else { return }
        try await ScratchDatabase.with(.postgres) { url in
            try await TestApp.run(.postgres, url: url, testing: .live) { nodeA in
                let (patient, patientToken) = try await nodeA.patient()
                let clinician = try await nodeA.addUser(.clinician)
                let granted = try await nodeA.post(
                    "/v1/subjects/\(patient)/grants", json: #"{"grantee":"\#(clinician.name)","scope":"read"}"#, token: patientToken)
                #expect(granted.status == .created)
                let clinicianToken = try await nodeA.login(clinician.name, clinician.password).accessToken
                let session = "\(patient):across"
                try await TestApp.run(.postgres, url: url, testing: .live) { nodeB in
                    let bothSaid: @Sendable (StreamProbe) -> Bool = { probe in
                        probe.sessionEvents().filter { $0["event"] as? String == "message" }.count >= 2
                    }
                    // 20 kB: several notifications' worth, put back together on node B.
                    let audio = try RealtimeAudioFrame(session: session, payload: (0..<20_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
                        .encoded()
                    async let patientSide = nodeA.stream(token: patientToken, until: bothSaid, binary: audio) { send, probe in
                        try await send(#"{"type":"session.join","session":"\#(session)"}"#)
                        try await probe.wait("the clinician on node B") { $0.has("joined", user: clinician.name) }
                        try await send(#"{"type":"text","session":"\#(session)","text":"from A"}"#)
                        try await send("<binary>")
                    }
                    async let clinicianSide = nodeB.stream(
                        token: clinicianToken, until: { bothSaid($0) && !$0.binary.withLock { $0 }.isEmpty }
                    ) { send, probe in
                        try await send(#"{"type":"session.join","session":"\#(session)"}"#)
                        try await probe.wait("the patient's message") { $0.has("message") }
                        try await send(#"{"type":"text","session":"\#(session)","text":"from B"}"#)
                    }
                    let (patientProbe, clinicianProbe) = try await (patientSide, clinicianSide)
                    for probe in [patientProbe, clinicianProbe] {
                        let messages = probe.sessionEvents().filter { $0["event"] as? String == "message" }
                        #expect(messages.map { $0["text"] as? String } == ["from A", "from B"])
                        #expect(messages.map { $0["seq"] as? Int } == [1, 2])
                    }
                    #expect(clinicianProbe.has("joined", user: patient))
                    let frames = clinicianProbe.binary.withLock { $0 }
                    #expect(frames.count == 1 && frames.first == audio, "audio crosses nodes byte for byte (\(frames.map(\.count)) bytes)")
                    // A late joiner on node B gets the history both nodes wrote.
                    let late = try await nodeB.stream(
                        token: patientToken, until: { $0.sessionEvents().filter { $0["event"] as? String == "message" }.count >= 2 }
                    ) { send, _ in
                        try await send(#"{"type":"session.join","session":"\#(session)"}"#)
                    }
                    #expect(late.sessionEvents().filter { $0["event"] as? String == "message" }.map { $0["seq"] as? Int } == [1, 2])
                }
            }
        }
    }

    @Test("an idle session ends after 30 minutes: the cleanup service closes it and tells its members (injected clock)")
    func idleExpiry() async throws {
        let clock = ManualJobClock()
        // The stream must outlive its access token's 15 minutes here: an hour.
        try await TestApp.run(
            .sqlite, configure: { $0.auth.accessTokenSeconds = 3_600 }, analysis: AnalysisRuntime(clock: clock), testing: .live
        ) { app in
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

    @Test("creating sessions is capped per creating user and per subject: too_many_sessions", arguments: Backend.all)
    func sessionCaps(backend: Backend) async throws {
        try await TestApp.run(
            backend,
            configure: {
                $0.stream.maxSessionsPerUser = 2
                $0.stream.maxSessionsPerSubject = 3
            }, testing: .live
        ) { app in
            let (patient, patientToken) = try await app.patient()
            let clinician = try await app.addUser(.clinician)
            let granted = try await app.post(
                "/v1/subjects/\(patient)/grants", json: #"{"grantee":"\#(clinician.name)","scope":"read"}"#, token: patientToken)
            #expect(granted.status == .created)
            let clinicianToken = try await app.login(clinician.name, clinician.password).accessToken
            /// Joins each name in turn (each join applied before the next), then answers the error codes by join.
            func joins(_ token: String, _ names: [String]) async throws -> [String: String] {
                let probe = try await app.stream(token: token, until: { $0.sessionEvents().count + Self.errors($0).count >= names.count }) {
                    send, probe in
                    for (index, name) in names.enumerated() {
                        try await send(#"{"type":"session.join","session":"\#(patient):\#(name)","id":"\#(name)"}"#)
                        try await probe.wait("join \(name)") { $0.sessionEvents().count + Self.errors($0).count > index }
                    }
                }
                return Self.errors(probe)
            }
            #expect(try await joins(patientToken, ["a", "b", "c"]) == ["c": "too_many_sessions"], "the patient created two")
            #expect(try await joins(clinicianToken, ["c", "d"]) == ["d": "too_many_sessions"], "the subject has three")
        }
    }

    /// Error codes by correlation id.
    static func errors(_ probe: StreamProbe) -> [String: String] {
        var codes: [String: String] = [:]
        for message in probe.messages where message["type"] as? String == "error" {
            codes[message["id"] as? String ?? ""] = message["code"] as? String
        }
        return codes
    }
}
