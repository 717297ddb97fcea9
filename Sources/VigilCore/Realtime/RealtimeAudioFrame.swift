/// A binary WebSocket frame carrying audio for one session. The same layout is used in both directions.
///
/// Layout (version 1), all lengths in bytes:
///
/// | offset | size | field                                                                 |
/// |--------|------|-----------------------------------------------------------------------|
/// | 0      | 1    | version, `0x01`                                                       |
/// | 1      | 1    | `n`, session id length, 1–128                                         |
/// | 2      | n    | session id, ASCII, same rule as JSON session ids (`RealtimeFieldRules`) |
/// | 2 + n  | ≥ 1  | audio payload, opaque to the server (codec agreed out of band)        |
///
/// The whole frame, header included, must fit `RealtimeLimits.maxAudioFrameBytes`. A version byte first lets
/// the layout change later (say, to add a sequence number) without guessing; the 1-byte length is why session
/// ids are capped below 256 bytes.
public struct RealtimeAudioFrame: Sendable, Equatable {
    /// The only layout version this build reads and writes.
    public static let version: UInt8 = 1
    /// Bytes before the session id.
    static let fixedHeaderBytes = 2

    /// The session the audio belongs to.
    public let session: String
    /// The audio bytes.
    public let payload: [UInt8]

    /// Creates a frame, checking that `session` is a valid session id and `payload` is not empty.
    public init(session: String, payload: [UInt8]) throws(RealtimeProtocolError) {
        guard RealtimeFieldRules.isIdentifier(session) else { throw .invalidField("session", "invalid session id") }
        guard !payload.isEmpty else { throw RealtimeProtocolError(code: .malformed, message: "audio payload is empty") }
        self.session = session
        self.payload = payload
    }

    /// The frame in the binary layout above.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [Self.version, UInt8(session.utf8.count)]
        bytes.reserveCapacity(Self.fixedHeaderBytes + session.utf8.count + payload.count)
        bytes.append(contentsOf: session.utf8)
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// Decodes and validates a binary frame: `too_large` over `maxBytes`, `malformed` for a short frame, an
    /// unknown version, a zero or overlong id length, or an empty payload, `invalid_field` "session" for an
    /// id that breaks the identifier rule.
    public static func decode(_ bytes: [UInt8], maxBytes: Int) -> Result<RealtimeAudioFrame, RealtimeProtocolError> {
        guard bytes.count <= maxBytes else {
            return .failure(RealtimeProtocolError(code: .tooLarge, message: "audio frame exceeds \(maxBytes) bytes"))
        }
        guard bytes.count >= fixedHeaderBytes else { return .failure(malformed("audio frame shorter than its header")) }
        guard bytes[0] == version else { return .failure(malformed("unsupported audio frame version \(bytes[0])")) }
        let idLength = Int(bytes[1])
        guard (1...RealtimeFieldRules.maxIdentifierBytes).contains(idLength) else {
            return .failure(malformed("session id length must be 1-\(RealtimeFieldRules.maxIdentifierBytes)"))
        }
        let payloadStart = fixedHeaderBytes + idLength
        guard payloadStart < bytes.count else { return .failure(malformed("audio frame has no payload")) }
        // Identifier bytes are ASCII, so invalid UTF-8 here fails the identifier rule rather than being repaired.
        let idBytes = bytes[fixedHeaderBytes..<payloadStart]
        guard idBytes.allSatisfy({ $0 < 0x80 }) else { return .failure(.invalidField("session", "invalid session id")) }
        do {
            return .success(
                try RealtimeAudioFrame(session: String(decoding: idBytes, as: UTF8.self), payload: Array(bytes[payloadStart...])))
        } catch {
            return .failure(error)
        }
    }

    private static func malformed(_ message: String) -> RealtimeProtocolError {
        RealtimeProtocolError(code: .malformed, message: message)
    }
}
