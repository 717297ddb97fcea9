/// Decides when a misbehaving connection is closed. Single bad or rate-limited messages only get an `error`
/// reply; a client that keeps going is broken or hostile, and closing it protects the node.
///
/// Each kind of violation has its own sliding window: when `limit` violations fall within `window`
/// microseconds, the connection is closed with the kind's close code (1008 for protocol errors, 4029 for
/// rate limiting). Memory is fixed: the last `limit` timestamps per kind.
public struct AbusePolicy: Sendable, Equatable {
    /// What the connection did wrong.
    public enum Violation: Sendable, Equatable {
        /// A message failed to parse or validate (malformed, unknown type, invalid field, too large).
        case protocolError
        /// A message was dropped because the connection's token bucket was empty.
        case rateLimited
    }

    /// What to do after recording a violation.
    public enum Verdict: Sendable, Equatable {
        /// Reply with the error and keep the connection.
        case tolerate
        /// Close the connection with this code.
        case close(RealtimeCloseCode)
    }

    private var protocolErrors: ViolationWindow
    private var rateLimitRejections: ViolationWindow

    /// A policy closing after `maxProtocolErrors` protocol errors or `maxRateLimitRejections` rate-limit
    /// rejections within `window` microseconds.
    public init(maxProtocolErrors: Int = 10, maxRateLimitRejections: Int = 10, window: Int64 = 60 * RealtimeLimits.microsecondsPerSecond) {
        protocolErrors = ViolationWindow(limit: maxProtocolErrors, window: window)
        rateLimitRejections = ViolationWindow(limit: maxRateLimitRejections, window: window)
    }

    /// A policy with the thresholds from `limits`.
    public init(limits: RealtimeLimits) {
        self.init(
            maxProtocolErrors: limits.maxProtocolErrors, maxRateLimitRejections: limits.maxRateLimitRejections, window: limits.abuseWindow)
    }

    /// Records one violation at `now` (microseconds) and says whether to close.
    public mutating func record(_ violation: Violation, now: Int64) -> Verdict {
        switch violation {
        case .protocolError: protocolErrors.record(now: now) ? .close(.policyViolation) : .tolerate
        case .rateLimited: rateLimitRejections.record(now: now) ? .close(.rateLimited) : .tolerate
        }
    }
}

/// The last `limit` violation times in a fixed ring; the limit is reached when the oldest of them is still
/// inside the window.
private struct ViolationWindow: Sendable, Equatable {
    let limit: Int
    let window: Int64
    private var times: [Int64] = []
    private var next = 0

    init(limit: Int, window: Int64) {
        precondition(limit > 0 && window > 0, "AbusePolicy needs a positive limit and window")
        self.limit = limit
        self.window = window
    }

    /// Records a violation; true when `limit` violations now lie within `window`.
    mutating func record(now: Int64) -> Bool {
        if times.count < limit {
            times.append(now)
        } else {
            times[next] = now
        }
        next = (next + 1) % limit
        // After the write, `next` points at the oldest stored time once the ring is full.
        guard times.count == limit else { return false }
        return now - times[next] < window
    }
}
