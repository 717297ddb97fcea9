/// The `code` of a server `error` message; the raw value is what goes on the wire.
public enum RealtimeErrorCode: String, Sendable, CaseIterable {
    /// The frame is not valid UTF-8 JSON, or not a JSON object.
    case malformed
    /// The `type` field names no known client message.
    case unknownType = "unknown_type"
    /// A field is missing, has the wrong type, or is out of range; the message names the field.
    case invalidField = "invalid_field"
    /// The frame exceeds the size limit for its kind.
    case tooLarge = "too_large"
    /// The connection's token bucket is empty; the message was dropped.
    case rateLimited = "rate_limited"
    /// Authentication failed or the operation needs an authenticated connection.
    case unauthorized
    /// No `auth` message arrived within the auth timeout.
    case authTimeout = "auth_timeout"
    /// The subject or session does not exist *or is not visible to the caller*: one answer for both,
    /// so clients cannot probe for existence.
    case notFound = "not_found"
    /// The target is visible but the operation is not allowed for the caller.
    case forbidden
    /// The session already has its maximum number of participants present.
    case sessionFull = "session_full"
    /// The node holds its maximum number of sessions.
    case tooManySessions = "too_many_sessions"
    /// The connection has reached its subscription limit.
    case tooManySubscriptions = "too_many_subscriptions"
    /// The operation needs the caller to have joined the session first.
    case notInSession = "not_in_session"
    /// The connection's send buffer overflowed.
    case slowConsumer = "slow_consumer"
    /// The node is at capacity (for example, its connection limit).
    case serverBusy = "server_busy"
    /// `since` is older than the oldest event kept (the outbox keeps `VIGIL_STREAM_RETENTION_DAYS`):
    /// read the samples over HTTP, then subscribe without `since`.
    case cursorExpired = "cursor_expired"
    /// An unexpected server fault; details are logged, never sent.
    case `internal`
}
