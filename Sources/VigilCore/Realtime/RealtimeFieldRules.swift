/// Shape rules for identifiers carried in realtime messages. They are checked at the protocol edge so the
/// registry and session store only ever see well-formed keys, and so session ids fit the audio frame header.
public enum RealtimeFieldRules {
    /// Longest correlation id, in UTF-8 bytes (spec: ≤ 64 characters; bytes keeps the bound exact).
    public static let maxCorrelationIDBytes = 64
    /// Longest subject or session id, in bytes; below 256 so the audio header's 1-byte length can hold it.
    public static let maxIdentifierBytes = 128
    /// Longest sample type name, in bytes.
    public static let maxSampleTypeBytes = 64
    /// Most sample types in one `subscribe` filter.
    public static let maxSampleTypesPerSubscription = 64
    /// Longest auth token, in bytes; JWTs are far shorter, anything longer is abuse.
    public static let maxTokenBytes = 8_192

    /// Whether `value` is a valid subject or session id: 1–128 ASCII letters, digits, `-`, `_`, `.` or `:`.
    /// ASCII-only means ids compare byte-for-byte (no Unicode normalisation surprises) and are safe in logs.
    public static func isIdentifier(_ value: String) -> Bool {
        isToken(value, maxBytes: maxIdentifierBytes, extra: [UInt8(ascii: ":")])
    }

    /// Whether `value` is a valid sample type name: 1–64 ASCII letters, digits, `-`, `_` or `.`.
    public static func isSampleTypeName(_ value: String) -> Bool {
        isToken(value, maxBytes: maxSampleTypeBytes, extra: [])
    }

    /// Whether `value` is a valid correlation id: 1–64 bytes of printable ASCII (it is echoed verbatim).
    public static func isCorrelationID(_ value: String) -> Bool {
        let utf8 = value.utf8
        return (1...maxCorrelationIDBytes).contains(utf8.count) && utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    private static func isToken(_ value: String, maxBytes: Int, extra: Set<UInt8>) -> Bool {
        let utf8 = value.utf8
        guard (1...maxBytes).contains(utf8.count) else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                true
            default: extra.contains(byte)
            }
        }
    }
}
