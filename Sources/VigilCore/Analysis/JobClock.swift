import Foundation

/// Time for background work: the wall clock (stored deadlines) and sleeping. Injected so retry backoff,
/// timeouts and the circuit breaker are tested by advancing a manual clock instead of sleeping.
public protocol JobClock: Sendable {
    /// Microseconds since 1970.
    var nowMicros: Int64 { get }
    func sleep(forMicros micros: Int64) async throws
}

/// The real clock.
public struct SystemJobClock: JobClock {
    public init() {}

    public var nowMicros: Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
    }

    public func sleep(forMicros micros: Int64) async throws {
        try await Task.sleep(for: .microseconds(max(0, micros)))
    }
}

/// Exponential backoff with full jitter: attempt n (1-based) waits a uniformly random time in
/// [base·2^(n−1)/2, base·2^(n−1)], capped.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseMicros: Int64
    public var capMicros: Int64

    public init(maxAttempts: Int = 3, baseMicros: Int64 = 2_000_000, capMicros: Int64 = 60_000_000) {
        self.maxAttempts = maxAttempts
        self.baseMicros = baseMicros
        self.capMicros = capMicros
    }

    public func delay(afterAttempt attempt: Int, random: Double) -> Int64 {
        let ceiling = min(capMicros, baseMicros << Int64(min(max(attempt - 1, 0), 20)))
        return ceiling / 2 + Int64(Double(ceiling / 2) * min(max(random, 0), 1))
    }
}
