import Crypto
import Foundation

/// The hash chain of an organisation's audit trail. Each event's hash is
/// `SHA-256(previous hash ‖ canonical encoding of the event and its sequence number)`, starting from
/// ``genesis``: editing, deleting, inserting or reordering any stored event breaks a link.
public enum AuditChain {
    public static let genesis = String(repeating: "0", count: 64)

    /// Canonical JSON (sorted keys, compact) of every field of the event plus its sequence number.
    public static func canonicalEncoding(_ event: AuditEvent, sequence: Int64) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(384)
        appendCanonicalEncoding(event, sequence: sequence, to: &out)
        return out
    }

    public static func hash(_ event: AuditEvent, sequence: Int64, previousHash: String) -> String {
        var scratch = [UInt8]()
        return hexString(digest(event, sequence: sequence, previousHash: previousHash, scratch: &scratch))
    }

    /// `SHA-256(previous hash ‖ 0x0A ‖ canonical encoding)`, hashed in one call from `scratch`, which
    /// callers reuse across events.
    static func digest(_ event: AuditEvent, sequence: Int64, previousHash: String, scratch: inout [UInt8]) -> SHA256.Digest {
        scratch.removeAll(keepingCapacity: true)
        scratch.reserveCapacity(512)
        scratch.append(contentsOf: previousHash.utf8)
        scratch.append(0x0A)
        appendCanonicalEncoding(event, sequence: sequence, to: &scratch)
        return SHA256.hash(data: scratch)
    }

    /// Whether each stored event's content matches its stored hash (the link to the previous event is
    /// checked by ``AuditChainVerifier``). Independent per event, so verification runs it on many pages at once.
    public static func contentMatches(_ events: some Collection<ChainedAuditEvent>) -> [Bool] {
        var scratch = [UInt8]()
        return events.map { stored in
            let digest = digest(stored.event, sequence: stored.sequence, previousHash: stored.previousHash, scratch: &scratch)
            return equals(digest, hex: stored.hash)
        }
    }

    /// ``contentMatches(_:)`` of one event.
    public static func contentMatches(_ stored: ChainedAuditEvent) -> Bool {
        var scratch = [UInt8]()
        return equals(
            digest(stored.event, sequence: stored.sequence, previousHash: stored.previousHash, scratch: &scratch), hex: stored.hash)
    }

    /// Links `events` after a chain whose last element is (`sequence`, `hash`).
    public static func link(_ events: [AuditEvent], after head: (sequence: Int64, hash: String)) -> [ChainedAuditEvent] {
        var (sequence, previous) = head
        var scratch = [UInt8]()
        return events.map { event in
            sequence += 1
            let hash = hexString(digest(event, sequence: sequence, previousHash: previous, scratch: &scratch))
            defer { previous = hash }
            return ChainedAuditEvent(event: event, sequence: sequence, previousHash: previous, hash: hash)
        }
    }

    /// A static string's bytes: no lazy global initialisation on the hot path.
    private static var hexDigits: UnsafePointer<UInt8> { StaticString("0123456789abcdef").utf8Start }

    static func hexString(_ digest: SHA256.Digest) -> String {
        digest.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { out in
                for (index, byte) in bytes.enumerated() {
                    out[2 * index] = hexDigits[Int(byte >> 4)]
                    out[2 * index + 1] = hexDigits[Int(byte & 0x0F)]
                }
                return bytes.count * 2
            }
        }
    }

    /// `hexString(digest) == hex`, without building the string.
    static func equals(_ digest: SHA256.Digest, hex: String) -> Bool {
        var hex = hex
        return hex.withUTF8 { equals(digest, hex: $0) }
    }

    static func equals(_ digest: SHA256.Digest, hex text: UnsafeBufferPointer<UInt8>) -> Bool {
        digest.withUnsafeBytes { bytes in
            guard text.count == bytes.count * 2 else { return false }
            for (index, byte) in bytes.enumerated()
            where text[2 * index] != hexDigits[Int(byte >> 4)] || text[2 * index + 1] != hexDigits[Int(byte & 0x0F)] {
                return false
            }
            return true
        }
    }
}

/// Walks one organisation's events in stored sequence order and finds the first broken link.
public struct AuditChainVerifier: Sendable {
    public struct Break: Sendable, Equatable, CustomStringConvertible {
        public let organization: String
        /// The sequence number where the chain stops being valid.
        public let sequence: Int64
        public let reason: String

        public var description: String { "organization \(organization): broken at sequence \(sequence): \(reason)" }
    }

    public let organization: String
    public private(set) var count: Int64 = 0
    public private(set) var headHash = AuditChain.genesis
    public private(set) var firstBreak: Break?

    public init(organization: String) {
        self.organization = organization
    }

    /// Checks the next stored event. After the first break, further events are ignored.
    public mutating func consume(_ stored: ChainedAuditEvent) {
        consume(stored, contentMatches: AuditChain.contentMatches(stored))
    }

    /// Checks the next stored event whose content was already checked against its hash (with
    /// ``AuditChain/contentMatches(_:)``, possibly in parallel); the links are checked here, in order.
    public mutating func consume(_ stored: ChainedAuditEvent, contentMatches: Bool) {
        consume(
            sequence: stored.sequence, organization: stored.event.organization, previousHash: stored.previousHash, hash: stored.hash,
            contentMatches: contentMatches)
    }

    /// ``consume(_:contentMatches:)`` from the stored columns the links need (verification reads rows
    /// straight into the hash check, without building events).
    public mutating func consume(sequence: Int64, organization: String, previousHash: String, hash: String, contentMatches: Bool) {
        guard firstBreak == nil else { return }
        let expected = count + 1
        if organization != self.organization {
            fail(at: sequence, "event belongs to organization \(organization)")
        } else if sequence != expected {
            fail(
                at: expected,
                sequence > expected ? "event \(expected) is missing (next stored is \(sequence))" : "unexpected sequence \(sequence)")
        } else if previousHash != headHash {
            fail(at: expected, "previous-hash link does not match event \(expected - 1)")
        } else if !contentMatches {
            fail(at: expected, "content does not match its hash (edited)")
        } else {
            count = expected
            headHash = hash
        }
    }

    /// Compares the end of the walk with the recorded head (catches deletion of the newest events).
    public mutating func finish(recordedHead: (sequence: Int64, hash: String)?) {
        guard firstBreak == nil else { return }
        let head = recordedHead ?? (0, AuditChain.genesis)
        if head.sequence != count || head.hash != headHash {
            fail(
                at: min(head.sequence, count + 1),
                "chain ends at \(count) but the recorded head is \(head.sequence) (events removed or head edited)")
        }
    }

    /// Whether the head's signature was checked and found valid (`false` without a key).
    public private(set) var headSignatureValid = false

    /// Checks the stored head's signature (with a key configured): a missing or wrong one means the head,
    /// and so the chain, was rewritten by someone without the key.
    public mutating func checkHeadSignature(_ check: AuditHeadSigner.Check) {
        guard firstBreak == nil else { return }
        switch check {
        case .valid: headSignatureValid = true
        case .missing: fail(at: count, "the chain head is not signed (written without VIGIL_AUDIT_KEY, or rewritten)")
        case .otherKey(let id): fail(at: count, "the chain head is signed with another key (key id \(id))")
        case .invalid: fail(at: count, "the chain head's signature does not match (the chain was rewritten)")
        }
    }

    private mutating func fail(at sequence: Int64, _ reason: String) {
        firstBreak = Break(organization: organization, sequence: sequence, reason: reason)
    }
}
