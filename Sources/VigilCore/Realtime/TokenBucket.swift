/// A token-bucket rate limiter driven by an injected clock: every call passes `now` in microseconds, so tests
/// step time explicitly and nothing here reads a clock.
///
/// Arithmetic is exact integers: one token is `refillPeriod` credit units, and each elapsed microsecond adds
/// `capacity` units, so `capacity` tokens refill evenly over `refillPeriod` with no floating-point drift.
public struct TokenBucket: Sendable, Equatable {
    /// Most tokens held (the burst size), and tokens added per `refillPeriod`.
    public let capacity: Int64
    /// Microseconds to refill from empty to full.
    public let refillPeriod: Int64
    private var credit: Int64
    private var lastRefill: Int64

    /// A full bucket of `capacity` tokens refilled over `refillPeriod` microseconds, starting at `now`.
    public init(capacity: Int, refillPeriod: Int64, now: Int64) {
        precondition(capacity > 0 && refillPeriod > 0, "TokenBucket needs a positive capacity and period")
        self.capacity = Int64(capacity)
        self.refillPeriod = refillPeriod
        self.credit = Int64(capacity) * refillPeriod
        self.lastRefill = now
    }

    /// The per-connection text message limit (`messagesPerMinute` per minute).
    public static func messages(_ limits: RealtimeLimits, now: Int64) -> TokenBucket {
        TokenBucket(capacity: limits.messagesPerMinute, refillPeriod: 60 * RealtimeLimits.microsecondsPerSecond, now: now)
    }

    /// The per-connection audio frame limit (`audioFramesPerMinute` per minute).
    public static func audioFrames(_ limits: RealtimeLimits, now: Int64) -> TokenBucket {
        TokenBucket(capacity: limits.audioFramesPerMinute, refillPeriod: 60 * RealtimeLimits.microsecondsPerSecond, now: now)
    }

    /// Whole tokens available at `now`.
    public mutating func available(now: Int64) -> Int64 {
        refill(now: now)
        return credit / refillPeriod
    }

    /// Takes one token if there is one; false means the message must be rejected with `rate_limited`.
    public mutating func allow(now: Int64) -> Bool {
        refill(now: now)
        guard credit >= refillPeriod else { return false }
        credit -= refillPeriod
        return true
    }

    private mutating func refill(now: Int64) {
        // A clock that steps backwards (injected or NTP-adjusted) must not mint tokens or move the mark back.
        guard now > lastRefill else { return }
        // Clamping first keeps `elapsed * capacity` from overflowing after a long quiet spell.
        let elapsed = min(now - lastRefill, refillPeriod)
        credit = min(credit + elapsed * capacity, capacity * refillPeriod)
        lastRefill = now
    }
}
