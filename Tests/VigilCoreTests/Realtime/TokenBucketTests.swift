import Testing
import VigilCore

@Suite("Token bucket")
struct TokenBucketTests {
    private static let second = RealtimeLimits.microsecondsPerSecond

    /// Asks `bucket` at each time and returns the answers (`#expect` cannot call mutating methods).
    private static func answers(_ bucket: inout TokenBucket, at times: [Int64]) -> [Bool] {
        times.map { bucket.allow(now: $0) }
    }

    @Test("the message bucket allows a burst of 60, then one per second")
    func messages() {
        var bucket = TokenBucket.messages(RealtimeLimits(), now: 0)
        let burst = Self.answers(&bucket, at: Array(repeating: 0, count: 61))
        #expect(burst == Array(repeating: true, count: 60) + [false])
        #expect(Self.answers(&bucket, at: [Self.second - 1, Self.second, Self.second]) == [false, true, false])
    }

    @Test("the audio bucket allows a burst of 30, then one every 2 s")
    func audio() {
        var bucket = TokenBucket.audioFrames(RealtimeLimits(), now: 0)
        let burst = Self.answers(&bucket, at: Array(repeating: 0, count: 31))
        #expect(burst == Array(repeating: true, count: 30) + [false])
        #expect(Self.answers(&bucket, at: [2 * Self.second - 1, 2 * Self.second]) == [false, true])
    }

    @Test("refill never exceeds capacity, even after a very long pause")
    func capacityCap() {
        var bucket = TokenBucket(capacity: 5, refillPeriod: 60 * Self.second, now: 0)
        _ = bucket.allow(now: 0)
        let available = bucket.available(now: Int64.max / 2)
        #expect(available == 5)
    }

    @Test("a clock stepping backwards mints no tokens")
    func backwardsClock() {
        var bucket = TokenBucket(capacity: 1, refillPeriod: Self.second, now: 10 * Self.second)
        let results = Self.answers(&bucket, at: [10 * Self.second, 0, 10 * Self.second + Self.second / 2, 11 * Self.second])
        #expect(results == [true, false, false, true])
    }

    @Test("sustained traffic at exactly the limit is always allowed", arguments: [60, 30, 7])
    func sustained(perMinute: Int) {
        var bucket = TokenBucket(capacity: perMinute, refillPeriod: 60 * Self.second, now: 0)
        _ = Self.answers(&bucket, at: Array(repeating: 0, count: perMinute))
        // Rounded up: a truncated interval would send slightly faster than the limit.
        let interval = (60 * Self.second + Int64(perMinute) - 1) / Int64(perMinute)
        let results = Self.answers(&bucket, at: (1...500).map { Int64($0) * interval })
        #expect(results.allSatisfy { $0 })
    }
}
