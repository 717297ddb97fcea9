import Crypto

/// The fields of an audit event as the canonical encoding orders them (sorted keys). Verification reads
/// stored rows straight into the encoding through ``AuditFieldSource``, without building events.
public enum AuditField: Sendable {
    case action, actorID, actorRole, actorUsername, clientAddress, occurredAt, organization, outcome, recordCount, requestID
    case resourceType, sequence, subject, userAgent
}

/// Where the canonical encoding reads an event's fields from: an ``AuditEvent`` or a stored row.
public protocol AuditFieldSource {
    /// The UTF-8 bytes of a text field (`nil` for null), valid only during `body`.
    func withText<R>(_ field: AuditField, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R
    /// An integer field (`occurredAt`, `recordCount`, `sequence`).
    func integer(_ field: AuditField) -> Int64
}

extension AuditChain {
    /// An event and its sequence number as a field source.
    struct EventFields: AuditFieldSource {
        let event: AuditEvent
        let sequence: Int64

        func withText<R>(_ field: AuditField, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
            let value: String? =
                switch field {
                case .action: event.action.rawValue
                case .actorID: event.actor.userID
                case .actorRole: event.actor.role
                case .actorUsername: event.actor.username
                case .clientAddress: event.origin.clientAddress
                case .organization: event.organization
                case .outcome: event.outcome.rawValue
                case .requestID: event.origin.requestID
                case .resourceType: event.resourceType
                case .subject: event.subject
                case .userAgent: event.origin.userAgent
                case .occurredAt, .recordCount, .sequence: nil
                }
            guard var value else { return body(nil) }
            return value.withUTF8 { body($0) }
        }

        func integer(_ field: AuditField) -> Int64 {
            switch field {
            case .occurredAt: event.occurredAt
            case .recordCount: Int64(event.recordCount)
            default: sequence
            }
        }
    }

    static func appendCanonicalEncoding(_ event: AuditEvent, sequence: Int64, to out: inout [UInt8]) {
        appendCanonicalEncoding(EventFields(event: event, sequence: sequence), to: &out)
    }

    /// Writes the canonical encoding field by field in sorted key order (no intermediate tree, no
    /// allocation beyond `out`'s growth): it runs for every event appended and for every event verified.
    static func appendCanonicalEncoding(_ source: some AuditFieldSource, to out: inout [UInt8]) {
        func raw(_ bytes: StaticString) {
            out.append(contentsOf: UnsafeBufferPointer(start: bytes.utf8Start, count: bytes.utf8CodeUnitCount))
        }
        func text(_ field: AuditField) {
            source.withText(field) { bytes in
                guard let bytes else { return raw("null") }
                // Most values need no escaping: copy them whole; otherwise the shared JSON quoting.
                if bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                    JSONValue.appendQuoted(String(decoding: bytes, as: UTF8.self), to: &out)
                } else {
                    out.append(UInt8(ascii: "\""))
                    out.append(contentsOf: bytes)
                    out.append(UInt8(ascii: "\""))
                }
            }
        }
        func integer(_ field: AuditField) {
            let value = source.integer(field)
            if value < 0 { out.append(UInt8(ascii: "-")) }
            var magnitude = value.magnitude
            // Digits from the last, into a fixed buffer: division by a constant 10 compiles to a multiply.
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
            withUnsafeMutableBytes(of: &digits) { buffer in
                var start = buffer.count
                repeat {
                    start -= 1
                    buffer[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    magnitude /= 10
                } while magnitude > 0
                out.append(contentsOf: buffer[start...])
            }
        }
        raw("{\"action\":")
        text(.action)
        raw(",\"actor_id\":")
        text(.actorID)
        raw(",\"actor_role\":")
        text(.actorRole)
        raw(",\"actor_username\":")
        text(.actorUsername)
        raw(",\"client_address\":")
        text(.clientAddress)
        raw(",\"occurred_at\":")
        integer(.occurredAt)
        raw(",\"organization\":")
        text(.organization)
        raw(",\"outcome\":")
        text(.outcome)
        raw(",\"record_count\":")
        integer(.recordCount)
        raw(",\"request_id\":")
        text(.requestID)
        raw(",\"resource_type\":")
        text(.resourceType)
        raw(",\"sequence\":")
        integer(.sequence)
        raw(",\"subject\":")
        text(.subject)
        raw(",\"user_agent\":")
        text(.userAgent)
        raw("}")
    }

    /// Whether a stored event's fields hash to its stored hash: `SHA-256(previous hash ‖ 0x0A ‖
    /// canonical encoding)` against the lowercase hex `hash`. `scratch` is reused across events.
    public static func contentMatches(
        _ source: some AuditFieldSource, previousHash: UnsafeBufferPointer<UInt8>, hash: UnsafeBufferPointer<UInt8>,
        scratch: inout [UInt8]
    ) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        scratch.reserveCapacity(512)
        scratch.append(contentsOf: previousHash)
        scratch.append(0x0A)
        appendCanonicalEncoding(source, to: &scratch)
        return equals(SHA256.hash(data: scratch), hex: hash)
    }
}
