import Crypto
import Foundation

/// The hash chain of an organisation's audit trail. Each event's hash is
/// `SHA-256(previous hash ‖ canonical encoding of the event and its sequence number)`, starting from
/// ``genesis``: editing, deleting, inserting or reordering any stored event breaks a link.
public enum AuditChain {
    public static let genesis = String(repeating: "0", count: 64)

    /// Canonical JSON (sorted keys, compact) of every field of the event plus its sequence number.
    /// Written field by field in sorted key order (no intermediate tree): hashing runs for every event
    /// appended and for every event verified.
    public static func canonicalEncoding(_ event: AuditEvent, sequence: Int64) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(384)
        func key(_ name: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        func text(_ value: String?) {
            if let value { JSONValue.appendQuoted(value, to: &out) } else { out.append(contentsOf: [110, 117, 108, 108]) }
        }
        func integer(_ value: Int64) { out.append(contentsOf: String(value).utf8) }
        out.append(UInt8(ascii: "{"))
        key("action", first: true)
        text(event.action.rawValue)
        key("actor_id")
        text(event.actor.userID)
        key("actor_role")
        text(event.actor.role)
        key("actor_username")
        text(event.actor.username)
        key("client_address")
        text(event.origin.clientAddress)
        key("occurred_at")
        integer(event.occurredAt)
        key("organization")
        text(event.organization)
        key("outcome")
        text(event.outcome.rawValue)
        key("record_count")
        integer(Int64(event.recordCount))
        key("request_id")
        text(event.origin.requestID)
        key("resource_type")
        text(event.resourceType)
        key("sequence")
        integer(sequence)
        key("subject")
        text(event.subject)
        key("user_agent")
        text(event.origin.userAgent)
        out.append(UInt8(ascii: "}"))
        return out
    }

    public static func hash(_ event: AuditEvent, sequence: Int64, previousHash: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(previousHash.utf8))
        hasher.update(data: [0x0A])
        hasher.update(data: canonicalEncoding(event, sequence: sequence))
        return hexString(hasher.finalize())
    }

    /// Links `events` after a chain whose last element is (`sequence`, `hash`).
    public static func link(_ events: [AuditEvent], after head: (sequence: Int64, hash: String)) -> [ChainedAuditEvent] {
        var (sequence, previous) = head
        return events.map { event in
            sequence += 1
            let hash = hash(event, sequence: sequence, previousHash: previous)
            defer { previous = hash }
            return ChainedAuditEvent(event: event, sequence: sequence, previousHash: previous, hash: hash)
        }
    }

    static func hexString(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
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
        guard firstBreak == nil else { return }
        let expected = count + 1
        if stored.event.organization != organization {
            fail(at: stored.sequence, "event belongs to organization \(stored.event.organization)")
        } else if stored.sequence != expected {
            fail(
                at: expected,
                stored.sequence > expected
                    ? "event \(expected) is missing (next stored is \(stored.sequence))" : "unexpected sequence \(stored.sequence)")
        } else if stored.previousHash != headHash {
            fail(at: expected, "previous-hash link does not match event \(expected - 1)")
        } else if AuditChain.hash(stored.event, sequence: stored.sequence, previousHash: stored.previousHash) != stored.hash {
            fail(at: expected, "content does not match its hash (edited)")
        } else {
            count = expected
            headHash = stored.hash
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

    private mutating func fail(at sequence: Int64, _ reason: String) {
        firstBreak = Break(organization: organization, sequence: sequence, reason: reason)
    }
}
