/// A rejected client message: the error code, a human-readable message, the offending field if any, and the
/// client's correlation id when it could be read, so the reply can echo it.
public struct RealtimeProtocolError: Error, Sendable, Equatable {
    /// The wire error code.
    public var code: RealtimeErrorCode
    /// A short explanation for the client; never contains server internals.
    public var message: String
    /// The field at fault for `invalid_field`, otherwise nil.
    public var field: String?
    /// The client's `id`, echoed in the error reply when it was valid.
    public var correlationID: String?

    /// Creates an error.
    public init(code: RealtimeErrorCode, message: String, field: String? = nil, correlationID: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.correlationID = correlationID
    }

    /// An `invalid_field` error naming `field`.
    public static func invalidField(_ field: String, _ reason: String, correlationID: String? = nil) -> Self {
        Self(code: .invalidField, message: "\(field): \(reason)", field: field, correlationID: correlationID)
    }

    /// The server message that reports this error to the client.
    public var serverMessage: RealtimeServerMessage {
        .error(code: code, message: message, correlationID: correlationID)
    }
}
