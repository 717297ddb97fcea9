import Crypto

/// Signs each organisation's audit chain head with a key kept outside the database (`VIGIL_AUDIT_KEY`).
///
/// The chain's hashes are unkeyed: someone who can write the database could rewrite events and recompute
/// every hash. The head's signature (HMAC-SHA-256 over organisation, sequence and hash) cannot be
/// recomputed without the key, so `vigil audit verify` finds such a rewrite. A rollback to an older signed
/// head (deleting the newest events and restoring an old head row) is found against the heads printed by
/// `vigil audit anchor` and kept off-site.
///
/// Format: `v1:<key id>:<hex HMAC>`, the key id being the first 8 hex digits of the key's SHA-256, so a
/// verifier tells "signed with another key" from "forged".
public struct AuditHeadSigner: Sendable {
    private let key: SymmetricKey
    public let keyID: String

    public init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
        self.keyID = String(Self.hex(SHA256.hash(data: key)).prefix(8))
    }

    public func sign(organization: String, sequence: Int64, hash: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Self.message(organization, sequence, hash), using: key)
        return "v1:\(keyID):\(Self.hex(mac))"
    }

    public enum Check: Sendable, Equatable {
        case valid
        case missing
        case otherKey(String)
        case invalid
    }

    public func check(_ signature: String?, organization: String, sequence: Int64, hash: String) -> Check {
        guard let signature, !signature.isEmpty else { return .missing }
        let parts = signature.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1" else { return .invalid }
        guard parts[1] == keyID else { return .otherKey(String(parts[1].prefix(16))) }
        let expected = sign(organization: organization, sequence: sequence, hash: hash)
        // Constant-time comparison of the MACs.
        let a = Array(expected.utf8)
        let b = Array(signature.utf8)
        guard a.count == b.count else { return .invalid }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0 ? .valid : .invalid
    }

    static func message(_ organization: String, _ sequence: Int64, _ hash: String) -> [UInt8] {
        Array("vigil-audit-head\n\(organization)\n\(sequence)\n\(hash)".utf8)
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
