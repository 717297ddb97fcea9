import Testing
import VigilCore

@Suite("Audio frame header")
struct RealtimeAudioFrameTests {
    @Test("frames round-trip through the binary layout", arguments: ["s", "session-1:a.b_c", String(repeating: "z", count: 128)])
    func roundTrip(session: String) throws {
        let frame = try RealtimeAudioFrame(session: session, payload: [0, 1, 2, 255])
        let bytes = frame.encoded()
        #expect(bytes[0] == 1)
        #expect(Int(bytes[1]) == session.utf8.count)
        #expect(Array(bytes[2..<2 + session.utf8.count]) == Array(session.utf8))
        #expect(try RealtimeAudioFrame.decode(bytes, maxBytes: 1_024 * 1_024).get() == frame)
    }

    @Test(
        "malformed headers are rejected",
        arguments: [
            ([], RealtimeErrorCode.malformed),
            ([1], .malformed),
            ([2, 1, 0x73, 0], .malformed),  // unknown version
            ([1, 0, 0], .malformed),  // empty session id
            ([1, 129] + Array(repeating: 0x61, count: 129) + [0], .malformed),  // id longer than allowed
            ([1, 5, 0x61, 0x62], .malformed),  // id runs past the end
            ([1, 2, 0x61, 0x62], .malformed),  // no payload
            ([1, 1, 0x20, 0], .invalidField),  // space is not an identifier character
            ([1, 2, 0xC3, 0xA9, 0], .invalidField),  // non-ASCII id
        ] as [([UInt8], RealtimeErrorCode)])
    func malformed(bytes: [UInt8], code: RealtimeErrorCode) {
        guard case .failure(let error) = RealtimeAudioFrame.decode(bytes, maxBytes: 1_024) else {
            Issue.record("decoded \(bytes)")
            return
        }
        #expect(error.code == code)
    }

    @Test("frames over the limit are too_large, at the limit they decode")
    func sizeLimit() throws {
        let bytes = try RealtimeAudioFrame(session: "s", payload: Array(repeating: 7, count: 1_000)).encoded()
        #expect(throws: RealtimeProtocolError.self) { try RealtimeAudioFrame.decode(bytes, maxBytes: bytes.count - 1).get() }
        if case .failure(let error) = RealtimeAudioFrame.decode(bytes, maxBytes: bytes.count - 1) { #expect(error.code == .tooLarge) }
        #expect(try RealtimeAudioFrame.decode(bytes, maxBytes: bytes.count).get().payload.count == 1_000)
    }

    @Test("building a frame validates the session id and payload")
    func construction() {
        #expect(throws: RealtimeProtocolError.invalidField("session", "invalid session id")) {
            try RealtimeAudioFrame(session: "bad id", payload: [1])
        }
        #expect(throws: RealtimeProtocolError.self) { try RealtimeAudioFrame(session: "s", payload: []) }
    }
}
