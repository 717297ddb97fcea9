import Foundation
import Testing
import VigilCore

/// A stream lives as long as its access token, on the hub's injected clock, unless it re-authenticates.
@Suite("Stream token expiry", .serialized)
struct StreamTokenTests {
    static func has(_ probe: StreamProbe, _ type: String, id: String) -> Bool {
        probe.messages.contains { $0["type"] as? String == type && $0["id"] as? String == id }
    }

    @Test("a stream is closed with 4001 when its access token would have expired (header or auth message)", arguments: [true, false])
    func expires(header: Bool) async throws {
        let clock = ManualJobClock()
        try await TestApp.run(.sqlite, analysis: AnalysisRuntime(clock: clock), testing: .live) { app in
            let (_, token) = try await app.patient()  // valid for 900 s
            let probe = try await app.stream(token: header ? token : nil, until: { _ in false }) { send, probe in
                if !header {
                    try await send(#"{"type":"auth","token":"\#(token)","id":"a"}"#)
                    try await probe.wait("authenticated") { Self.has($0, "authenticated", id: "a") }
                }
                clock.advance(byMicros: 880 * 1_000_000)
                try await Task.sleep(for: .milliseconds(200))
                try await send(#"{"type":"ping","id":"p"}"#)
                try await probe.wait("pong: still open before the expiry") { Self.has($0, "pong", id: "p") }
                clock.advance(byMicros: 30 * 1_000_000)
            }
            #expect(probe.closeCode.withLock { $0 } == 4001)
        }
    }

    @Test("auth with a fresh token of the same user extends the stream; another user's token is refused and changes nothing")
    func reauthenticate() async throws {
        let clock = ManualJobClock()
        try await TestApp.run(.sqlite, analysis: AnalysisRuntime(clock: clock), testing: .live) { app in
            let user = try await app.addUser(.patient)
            let token = try await app.login(user.name, user.password).accessToken
            let (_, otherToken) = try await app.patient()
            let probe = try await app.stream(token: token, until: { _ in false }) { send, probe in
                clock.advance(byMicros: 800 * 1_000_000)
                let fresh = try await app.login(user.name, user.password).accessToken
                try await send(#"{"type":"auth","token":"\#(fresh)","id":"fresh"}"#)
                try await probe.wait("authenticated") { Self.has($0, "authenticated", id: "fresh") }
                clock.advance(byMicros: 200 * 1_000_000)  // past the first token's expiry
                try await Task.sleep(for: .milliseconds(300))
                try await send(#"{"type":"ping","id":"p"}"#)
                try await probe.wait("pong: the fresh token keeps the stream open") { Self.has($0, "pong", id: "p") }
                try await send(#"{"type":"auth","token":"\#(otherToken)","id":"other"}"#)
                try await send(#"{"type":"auth","token":"not-a-token","id":"bad"}"#)
                try await probe.wait("two refusals") { Self.has($0, "error", id: "other") && Self.has($0, "error", id: "bad") }
                clock.advance(byMicros: 800 * 1_000_000)  // past the fresh token's expiry
            }
            let errors = probe.messages.filter { $0["type"] as? String == "error" }.map { $0["code"] as? String }
            #expect(errors == ["forbidden", "unauthorized"])
            #expect(probe.closeCode.withLock { $0 } == 4001)
        }
    }
}
