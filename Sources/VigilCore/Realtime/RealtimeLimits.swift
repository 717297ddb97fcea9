/// Every numeric limit of the realtime layer, with the defaults from the spec (issue 7).
///
/// Durations are microseconds (`Int64`) because every component takes time as an injected `now` in microseconds;
/// one unit everywhere avoids conversions at call sites.
public struct RealtimeLimits: Sendable, Equatable {
    /// Microseconds in one second, for readable defaults.
    public static let microsecondsPerSecond: Int64 = 1_000_000

    /// Open WebSocket connections accepted per node; beyond it new connections get `server_busy`.
    public var maxConnectionsPerNode = 1_000
    /// Open connections of one user on a node (several devices); past it `429 too_many_connections`, or a
    /// close with 4030 when the user is known only from the `auth` message.
    public var maxConnectionsPerUser = 10
    /// Open connections from one client address on a node; past it `429 too_many_connections`.
    public var maxConnectionsPerAddress = 50
    /// Connections on a node that upgraded without an `Authorization` header and have not sent `auth` yet.
    public var maxUnauthenticatedConnections = 64
    /// Of those, from one client address.
    public var maxUnauthenticatedConnectionsPerAddress = 8
    /// Largest accepted text frame, in bytes (100 KB).
    public var maxTextMessageBytes = 100 * 1_024
    /// Largest accepted binary audio frame including its header, in bytes (1 MB).
    public var maxAudioFrameBytes = 1_024 * 1_024
    /// Text frames a connection may send per minute (token bucket capacity and refill).
    public var messagesPerMinute = 60
    /// Binary audio frames a connection may send per minute.
    public var audioFramesPerMinute = 30
    /// The heartbeat: the server pings every connection this often, and closes one (1001, "ping
    /// timeout") from which nothing — no message, no pong — has arrived for two intervals.
    public var heartbeatInterval: Int64 = 30 * microsecondsPerSecond
    /// Outbound messages queued per connection; a consumer that falls further behind is closed with 4008.
    public var sendBufferMessages = 256
    /// Live sessions per node; creating more answers `too_many_sessions`.
    public var maxSessionsPerNode = 1_000
    /// Live sessions one user may have created (the first join creates a session); past it `too_many_sessions`.
    public var maxSessionsPerUser = 20
    /// Live sessions of one subject; past it `too_many_sessions`.
    public var maxSessionsPerSubject = 10
    /// Messages kept per session (ring buffer; older ones are dropped).
    public var messagesKeptPerSession = 1_000
    /// Bytes of text (and sender names) kept per session: the oldest messages are dropped past it, 1 MiB.
    public var maxHistoryBytesPerSession = 1 << 20
    /// A session expires this long after creation, however active it is.
    public var sessionTTL: Int64 = 24 * 3_600 * microsecondsPerSecond
    /// A session expires after this long without messages or joins.
    public var sessionIdleTimeout: Int64 = 30 * 60 * microsecondsPerSecond
    /// How often every live stream's access is re-checked (grants that expired end their streams), µs.
    public var accessRecheckInterval: Int64 = 30 * microsecondsPerSecond
    /// How long the stream outbox keeps events (replay with `since` reaches back this far), µs; at least a day,
    /// so the sessions still alive can be rebuilt from it.
    public var eventRetention: Int64 = 7 * 86_400 * microsecondsPerSecond
    /// How often events older than the retention are deleted, µs.
    public var eventPruneInterval: Int64 = 3_600 * microsecondsPerSecond
    /// How often the session service calls `SessionStore.cleanup(now:)`.
    public var sessionCleanupInterval: Int64 = 5 * 60 * microsecondsPerSecond
    /// How often streams whose access token expired are closed (4001), µs.
    public var tokenExpiryCheckInterval: Int64 = microsecondsPerSecond
    /// Time a connection without an Authorization header has to send its `auth` message.
    public var authTimeout: Int64 = 5 * microsecondsPerSecond
    /// Longest chat text, in Unicode scalars, after sanitisation.
    public var maxChatTextScalars = 4_000
    /// Vigil's choice, not in the spec: caps registry growth from one connection over a long life.
    public var maxSubscriptionsPerConnection = 100
    /// Vigil's choice, not in the spec: users present at once in one session (patient plus clinicians).
    public var maxParticipantsPerSession = 16
    /// Protocol errors tolerated per `abuseWindow` before closing with 1008.
    public var maxProtocolErrors = 10
    /// Rate-limit rejections tolerated per `abuseWindow` before closing with 4029.
    public var maxRateLimitRejections = 10
    /// Sliding window for both abuse counters.
    public var abuseWindow: Int64 = 60 * microsecondsPerSecond

    /// The spec defaults.
    public init() {}
}
