/// A server → client text message (sample events are written by the server's stream layer, one encoding
/// shared by every subscriber). `encoded()` renders it as UTF-8 JSON with a fixed key order:
/// `type` first, then the message's fields in the documented order, `id` (the echoed correlation id) last.
public enum RealtimeServerMessage: Sendable, Equatable {
    /// `{"type":"pong","id"?}`.
    case pong(correlationID: String?)
    /// `{"type":"authenticated","id"?}`: the `auth` message was accepted.
    case authenticated(correlationID: String?)
    /// `{"type":"session","session","event",…,"id"?}`: a session message, join, leave or closure.
    case session(session: String, event: RealtimeSessionEvent, correlationID: String?)
    /// `{"type":"error","code","message","id"?}`.
    case error(code: RealtimeErrorCode, message: String, correlationID: String?)
    /// `{"type":"status","subscriptions":[…],"sessions":[…],"id"?}`: this connection's state, lists sorted.
    case status(subscriptions: [String], sessions: [String], correlationID: String?)
    /// `{"type":"subscribed","subject","types"?,"id"?}`: `types` sorted, absent when all types are streamed.
    case subscribed(subject: String, types: Set<String>?, correlationID: String?)
    /// `{"type":"unsubscribed","subject","reason"?,"id"?}`: `reason` is set when the server ended the
    /// subscription (`access_revoked`: the caller may no longer read the subject).
    case unsubscribed(subject: String, reason: String? = nil, correlationID: String?)

    /// The message as UTF-8 JSON bytes.
    public func encoded() -> [UInt8] {
        var writer = RealtimeJSONWriter()
        switch self {
        case .pong(let id):
            writer.string("type", "pong")
            writer.optionalString("id", id)
        case .authenticated(let id):
            writer.string("type", "authenticated")
            writer.optionalString("id", id)
        case .session(let session, let event, let id):
            writer.string("type", "session")
            writer.string("session", session)
            event.write(to: &writer)
            writer.optionalString("id", id)
        case .error(let code, let message, let id):
            writer.string("type", "error")
            writer.string("code", code.rawValue)
            writer.string("message", message)
            writer.optionalString("id", id)
        case .status(let subscriptions, let sessions, let id):
            writer.string("type", "status")
            writer.strings("subscriptions", subscriptions.sorted())
            writer.strings("sessions", sessions.sorted())
            writer.optionalString("id", id)
        case .subscribed(let subject, let types, let id):
            writer.string("type", "subscribed")
            writer.string("subject", subject)
            if let types { writer.strings("types", types.sorted()) }
            writer.optionalString("id", id)
        case .unsubscribed(let subject, let reason, let id):
            writer.string("type", "unsubscribed")
            writer.string("subject", subject)
            writer.optionalString("reason", reason)
            writer.optionalString("id", id)
        }
        return writer.finish()
    }
}

/// What happened in a session, as carried by a server `session` message.
public enum RealtimeSessionEvent: Sendable, Equatable {
    /// `"event":"joined","user"`.
    case joined(user: String)
    /// `"event":"left","user"`.
    case left(user: String)
    /// `"event":"message","seq","from","text","at"`: `at` is microseconds since the Unix epoch.
    case message(RealtimeSessionMessage)
    /// `"event":"closed","reason"`: the session expired or was closed; `reason` is e.g. `"expired"`.
    case closed(reason: String)

    fileprivate func write(to writer: inout RealtimeJSONWriter) {
        switch self {
        case .joined(let user):
            writer.string("event", "joined")
            writer.string("user", user)
        case .left(let user):
            writer.string("event", "left")
            writer.string("user", user)
        case .message(let message):
            writer.string("event", "message")
            writer.integer("seq", message.sequence)
            writer.string("from", message.sender)
            writer.string("text", message.text.value)
            writer.integer("at", message.sentAt)
        case .closed(let reason):
            writer.string("event", "closed")
            writer.string("reason", reason)
        }
    }
}
