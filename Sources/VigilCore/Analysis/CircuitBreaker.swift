/// A circuit breaker around a dependency that fails as a whole (the PAT model): after `threshold`
/// consecutive failures it opens and refuses calls for `cooldown`; then it lets one probe call through
/// (half-open) — a success closes it, a failure opens it again. Time comes from an injected clock.
public actor CircuitBreaker {
    public enum State: Sendable, Equatable {
        case closed(consecutiveFailures: Int)
        case open(until: Int64)
        case halfOpen(probing: Bool)
    }

    public let threshold: Int
    public let cooldownMicros: Int64
    private let now: @Sendable () -> Int64
    public private(set) var state: State = .closed(consecutiveFailures: 0)

    public init(threshold: Int, cooldownMicros: Int64, now: @escaping @Sendable () -> Int64) {
        precondition(threshold >= 1 && cooldownMicros > 0)
        self.threshold = threshold
        self.cooldownMicros = cooldownMicros
        self.now = now
    }

    /// Microseconds until new work is accepted, or `nil` when it is accepted now. Does not take the probe.
    public func retryAfter() -> Int64? {
        if case .open(let until) = state {
            let remaining = until - now()
            if remaining > 0 { return remaining }
            state = .halfOpen(probing: false)
        }
        return nil
    }

    /// Whether a call may go through now; in half-open state only one (the probe) may.
    public func acquire() -> Bool {
        switch state {
        case .closed: return true
        case .open(let until):
            guard now() >= until else { return false }
            state = .halfOpen(probing: true)
            return true
        case .halfOpen(let probing):
            guard !probing else { return false }
            state = .halfOpen(probing: true)
            return true
        }
    }

    public func recordSuccess() {
        state = .closed(consecutiveFailures: 0)
    }

    public func recordFailure() {
        switch state {
        case .closed(let failures) where failures + 1 < threshold:
            state = .closed(consecutiveFailures: failures + 1)
        default:
            state = .open(until: now() + cooldownMicros)
        }
    }
}
