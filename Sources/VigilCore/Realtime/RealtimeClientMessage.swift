/// A validated client → server text message. Produced only by `parse(_:maxBytes:maxChatTextScalars:)`, so every
/// associated value already satisfies `RealtimeFieldRules` and chat text is sanitised.
public enum RealtimeClientMessage: Sendable, Equatable {
    /// `{"type":"auth","token":…}`: first message within the auth timeout when there was no Authorization header.
    case auth(token: String)
    /// `{"type":"ping"}`: answered with `pong`.
    case ping
    /// `{"type":"subscribe","subject":…,"types"?:[…],"since"?:n}`: live samples of `subject`, optionally only
    /// the named sample types (nil = all), optionally replaying from cursor `since`.
    case subscribe(subject: String, types: Set<String>?, since: Int64?)
    /// `{"type":"unsubscribe","subject":…}`.
    case unsubscribe(subject: String)
    /// `{"type":"session.join","session":…}`.
    case sessionJoin(session: String)
    /// `{"type":"session.leave","session":…}`.
    case sessionLeave(session: String)
    /// `{"type":"text","session":…,"text":…}`: a chat message, already sanitised.
    case text(session: String, text: ChatText)
    /// `{"type":"status"}`: asks for this connection's subscriptions and sessions.
    case status

    /// The wire `type` of each message, and the fields it accepts besides `type` and `id`.
    static let fieldsByType: [String: Set<String>] = [
        "auth": ["token"], "ping": [], "subscribe": ["subject", "types", "since"], "unsubscribe": ["subject"],
        "session.join": ["session"], "session.leave": ["session"], "text": ["session", "text"], "status": [],
    ]
}

/// A parsed client message with the correlation id the client attached, which every reply must echo.
public struct RealtimeClientEnvelope: Sendable, Equatable {
    /// The client's optional `id` (≤ 64 printable ASCII bytes).
    public var correlationID: String?
    /// The message.
    public var message: RealtimeClientMessage

    /// Creates an envelope.
    public init(correlationID: String?, message: RealtimeClientMessage) {
        self.correlationID = correlationID
        self.message = message
    }
}
