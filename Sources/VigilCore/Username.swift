/// A validated username. A patient's username is also its subject id, so the same rule applies
/// to both: `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`.
public struct Username: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    public init?(_ raw: String) {
        let bytes = Array(raw.utf8)
        guard (1...64).contains(bytes.count), Self.isAlphanumeric(bytes[0]) else { return nil }
        for byte in bytes.dropFirst()
        where !(Self.isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")) {
            return nil
        }
        self.value = raw
    }

    public var description: String { value }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Parses a subject id taken from a URL path: malformed ids are a `400`, not a `404`.
    public static func subject(_ raw: String) throws(VigilError) -> Username {
        guard let subject = Username(raw) else {
            throw VigilError.invalidParameter("subject id must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}", field: "subject")
        }
        return subject
    }
}

public typealias SubjectID = Username

/// What a password must be, the same for the API and the command line.
public enum PasswordPolicy {
    /// 8 to 72 bytes of UTF-8 (72 is bcrypt's limit: later bytes would be ignored).
    public static let byteLengths = 8...72
    public static let reason = "password must be 8 to 72 bytes"

    public static func isAcceptable(_ password: String) -> Bool { byteLengths.contains(password.utf8.count) }
}
