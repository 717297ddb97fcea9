extension RealtimeClientMessage {
    /// Parses one UTF-8 text frame.
    ///
    /// Checks run in this order, and the first failure wins: size (`too_large`), UTF-8 and JSON syntax and
    /// top-level object (`malformed`), `id` (`invalid_field` "id"), `type` (`invalid_field` "type" when missing
    /// or not a string, `unknown_type` when unknown), unknown fields (`invalid_field` naming the field — strict,
    /// so a typo like `"sinse"` is reported rather than silently ignored), then each field. From the `id` check
    /// on, errors carry the correlation id whenever it was valid.
    /// - Parameters:
    ///   - bytes: the frame payload.
    ///   - maxBytes: the text frame limit (`RealtimeLimits.maxTextMessageBytes`).
    ///   - maxChatTextScalars: the chat text limit (`RealtimeLimits.maxChatTextScalars`).
    public static func parse(
        _ bytes: [UInt8], maxBytes: Int, maxChatTextScalars: Int = RealtimeLimits().maxChatTextScalars
    ) -> Result<RealtimeClientEnvelope, RealtimeProtocolError> {
        guard bytes.count <= maxBytes else {
            return .failure(RealtimeProtocolError(code: .tooLarge, message: "text frame exceeds \(maxBytes) bytes"))
        }
        let root: RealtimeJSONNode
        do {
            root = try RealtimeJSONReader.parse(bytes)
        } catch {
            return .failure(RealtimeProtocolError(code: .malformed, message: error.reason))
        }
        guard case .object(let fields) = root else {
            return .failure(RealtimeProtocolError(code: .malformed, message: "message must be a JSON object"))
        }
        var correlationID: String?
        if let idNode = fields["id"] {
            guard case .string(let id) = idNode, RealtimeFieldRules.isCorrelationID(id) else {
                return .failure(.invalidField("id", "must be 1-64 printable ASCII characters"))
            }
            correlationID = id
        }
        do {
            let message = try message(from: fields, correlationID: correlationID, maxChatTextScalars: maxChatTextScalars)
            return .success(RealtimeClientEnvelope(correlationID: correlationID, message: message))
        } catch {
            return .failure(error)
        }
    }

    private static func message(
        from fields: [String: RealtimeJSONNode], correlationID id: String?, maxChatTextScalars: Int
    ) throws(RealtimeProtocolError) -> RealtimeClientMessage {
        guard case .string(let type)? = fields["type"] else { throw .invalidField("type", "must be a string", correlationID: id) }
        guard let allowed = fieldsByType[type] else {
            throw RealtimeProtocolError(code: .unknownType, message: "unknown message type", correlationID: id)
        }
        // Sorted so the reported field is deterministic when several are unknown.
        if let extra = fields.keys.filter({ $0 != "type" && $0 != "id" && !allowed.contains($0) }).sorted().first {
            throw .invalidField(extra, "not allowed in \(type)", correlationID: id)
        }
        let reader = FieldReader(fields: fields, correlationID: id)
        switch type {
        case "auth":
            let token = try reader.string("token")
            guard token.utf8.count <= RealtimeFieldRules.maxTokenBytes, !token.isEmpty else {
                throw .invalidField("token", "must be 1-\(RealtimeFieldRules.maxTokenBytes) bytes", correlationID: id)
            }
            return .auth(token: token)
        case "ping": return .ping
        case "status": return .status
        case "subscribe":
            return .subscribe(
                subject: try reader.identifier("subject"), types: try reader.sampleTypes("types"), since: try reader.cursor("since"))
        case "unsubscribe": return .unsubscribe(subject: try reader.identifier("subject"))
        case "session.join": return .sessionJoin(session: try reader.identifier("session"))
        case "session.leave": return .sessionLeave(session: try reader.identifier("session"))
        default:
            let session = try reader.identifier("session")
            let raw = try reader.string("text")
            do {
                return .text(session: session, text: try ChatText(sanitizing: raw, maxScalars: maxChatTextScalars))
            } catch {
                switch error {
                case .empty: throw .invalidField("text", "must contain visible characters", correlationID: id)
                case .tooLong(let limit): throw .invalidField("text", "must be at most \(limit) characters", correlationID: id)
                }
            }
        }
    }
}

/// Reads typed fields from a message object, turning every problem into `invalid_field` with the field's name.
private struct FieldReader {
    let fields: [String: RealtimeJSONNode]
    let correlationID: String?

    func string(_ name: String) throws(RealtimeProtocolError) -> String {
        guard case .string(let value)? = fields[name] else { throw fail(name, "must be a string") }
        return value
    }

    func identifier(_ name: String) throws(RealtimeProtocolError) -> String {
        let value = try string(name)
        guard RealtimeFieldRules.isIdentifier(value) else {
            throw fail(name, "must be 1-\(RealtimeFieldRules.maxIdentifierBytes) characters of A-Z a-z 0-9 - _ . :")
        }
        return value
    }

    /// Absent means "all types"; an empty array is rejected because it would subscribe to nothing.
    func sampleTypes(_ name: String) throws(RealtimeProtocolError) -> Set<String>? {
        guard let node = fields[name] else { return nil }
        guard case .array(let elements) = node, (1...RealtimeFieldRules.maxSampleTypesPerSubscription).contains(elements.count) else {
            throw fail(name, "must be an array of 1-\(RealtimeFieldRules.maxSampleTypesPerSubscription) sample type names")
        }
        var names = Set<String>()
        for element in elements {
            guard case .string(let typeName) = element, RealtimeFieldRules.isSampleTypeName(typeName) else {
                throw fail(name, "each entry must be a sample type name")
            }
            names.insert(typeName)
        }
        return names
    }

    /// A non-negative integer written without fraction or exponent that fits in `Int64`.
    func cursor(_ name: String) throws(RealtimeProtocolError) -> Int64? {
        guard let node = fields[name] else { return nil }
        guard case .number(let text) = node, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = Int64(text) else {
            throw fail(name, "must be an integer ≥ 0")
        }
        return value
    }

    private func fail(_ name: String, _ reason: String) -> RealtimeProtocolError {
        .invalidField(name, reason, correlationID: correlationID)
    }
}
