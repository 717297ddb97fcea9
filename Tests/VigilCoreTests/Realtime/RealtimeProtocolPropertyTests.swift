import Testing

@testable import VigilCore

/// SplitMix64: a tiny seeded generator so property runs are reproducible (the seed is in the test arguments).
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Scalars that stress escaping and sanitisation: controls, quotes, backslashes, bidi overrides, astral emoji.
private let interestingScalars: [Unicode.Scalar] = [
    "\u{00}", "\u{01}", "\u{08}", "\t", "\n", "\r", "\u{1B}", "\u{1F}", " ", "\"", "\\", "/", "a", "Z", "0", "\u{7F}",
    "\u{85}", "\u{9F}", "é", "\u{2028}", "\u{2029}", "\u{202E}", "\u{2066}", "\u{FEFF}", "😀", "\u{10FFFF}",
]

private func randomString(_ generator: inout SeededGenerator, maxLength: Int) -> String {
    var scalars = String.UnicodeScalarView()
    for _ in 0..<Int.random(in: 0...maxLength, using: &generator) {
        scalars.append(interestingScalars.randomElement(using: &generator)!)
    }
    return String(scalars)
}

@Suite("Protocol properties")
struct RealtimeProtocolPropertyTests {
    private static let seeds: [UInt64] = [1, 42, 0xDEAD_BEEF]

    @Test("mutated frames never crash the parser and fail only with frame-level or field codes", arguments: seeds)
    func parserSurvivesMutations(seed: UInt64) {
        var generator = SeededGenerator(state: seed)
        let valid = [
            #"{"type":"subscribe","subject":"p1","types":["hr"],"since":5,"id":"c"}"#,
            #"{"type":"text","session":"s","text":"hi \u00e9","id":"c"}"#, #"{"type":"auth","token":"t"}"#,
        ].map { Array($0.utf8) }
        let allowed: Set<RealtimeErrorCode> = [.malformed, .unknownType, .invalidField]
        for _ in 0..<3_000 {
            var bytes = valid.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: position)
                default: if bytes.count > 1 { bytes.remove(at: position) }
                }
            }
            switch RealtimeClientMessage.parse(bytes, maxBytes: 1_024) {
            case .success(let envelope):
                #expect(envelope.correlationID.map(RealtimeFieldRules.isCorrelationID) ?? true)
            case .failure(let error):
                #expect(allowed.contains(error.code))
                #expect(error.correlationID.map(RealtimeFieldRules.isCorrelationID) ?? true)
            }
        }
    }

    @Test("any string survives the writer and reads back identically", arguments: seeds)
    func writerReaderRoundTrip(seed: UInt64) throws {
        var generator = SeededGenerator(state: seed)
        for _ in 0..<1_000 {
            let text = randomString(&generator, maxLength: 40)
            let bytes = RealtimeServerMessage.error(code: .internal, message: text, correlationID: nil).encoded()
            guard case .object(let fields) = try RealtimeJSONReader.parse(bytes) else {
                Issue.record("not an object")
                return
            }
            #expect(fields["message"] == .string(text))
        }
    }

    @Test("sanitised text never contains removed scalars and is a fixed point", arguments: seeds)
    func sanitisation(seed: UInt64) {
        var generator = SeededGenerator(state: seed)
        for _ in 0..<1_000 {
            guard let clean = try? ChatText(sanitizing: randomString(&generator, maxLength: 40)) else { continue }
            #expect(!clean.value.unicodeScalars.contains { ChatText.isRemoved($0) })
            #expect((try? ChatText(sanitizing: clean.value)) == clean)
        }
    }

    @Test("audio frames round-trip, and truncations either fail or decode to exactly their bytes", arguments: seeds)
    func audioFrames(seed: UInt64) throws {
        var generator = SeededGenerator(state: seed)
        let idCharacters = Array("abcXYZ019-_.:")
        for _ in 0..<500 {
            let session = String(
                (0..<Int.random(in: 1...128, using: &generator)).map { _ in idCharacters.randomElement(using: &generator)! })
            let payload = (0..<Int.random(in: 1...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let bytes = try RealtimeAudioFrame(session: session, payload: payload).encoded()
            #expect(try RealtimeAudioFrame.decode(bytes, maxBytes: 1_024).get() == RealtimeAudioFrame(session: session, payload: payload))
            let prefix = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
            if case .success(let frame) = RealtimeAudioFrame.decode(prefix, maxBytes: 1_024) {
                #expect(frame.encoded() == prefix)
            }
        }
    }
}
