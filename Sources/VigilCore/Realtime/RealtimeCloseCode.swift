/// WebSocket close codes the realtime layer uses (RFC 6455 §7.4; 4000–4999 are application codes).
public enum RealtimeCloseCode: UInt16, Sendable, CaseIterable {
    /// 1000: the client or server ended the connection on purpose.
    case normal = 1000
    /// 1001: the server is shutting down (graceful drain) or the client navigated away.
    case goingAway = 1001
    /// 1002: a frame broke RFC 6455 (unmasked, reserved bits or opcode, a malformed close frame).
    case protocolError = 1002
    /// 1007: a text message or close reason that is not valid UTF-8.
    case invalidPayload = 1007
    /// 1008: repeated protocol errors (see `AbusePolicy`); a single bad message only gets an `error` reply.
    case policyViolation = 1008
    /// 1009: a frame exceeded the transport's hard frame limit and could not even be read.
    case messageTooBig = 1009
    /// 1011: an unexpected server fault made the connection unusable.
    case internalError = 1011
    /// 4001: authentication failed, or no `auth` message arrived within the auth timeout.
    case unauthorized = 4001
    /// 4008: the client did not drain its send buffer fast enough (slow consumer).
    case slowConsumer = 4008
    /// 4029: the client kept sending after being rate limited (see `AbusePolicy`).
    case rateLimited = 4029
    /// 4030: the user's `auth` message would exceed their open connections on the node
    /// (`RealtimeLimits.maxConnectionsPerUser`); an upgrade with an `Authorization` header gets `429` instead.
    case tooManyConnections = 4030
}
