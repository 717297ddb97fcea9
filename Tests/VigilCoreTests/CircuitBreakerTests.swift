import Synchronization
import Testing

@testable import VigilCore

@Suite("Circuit breaker and retry policy")
struct CircuitBreakerTests {
    final class Time: Sendable {
        let now = Mutex<Int64>(0)
        func advance(_ micros: Int64) { now.withLock { $0 += micros } }
    }

    @Test("opens after N consecutive failures, refuses until the cooldown, lets one probe through, closes on success")
    func stateMachine() async {
        let time = Time()
        let breaker = CircuitBreaker(threshold: 3, cooldownMicros: 10_000_000, now: { time.now.withLock { $0 } })
        for _ in 0..<2 {
            #expect(await breaker.acquire())
            await breaker.recordFailure()
        }
        await breaker.recordSuccess()  // a success resets the count
        for _ in 0..<3 {
            #expect(await breaker.acquire())
            await breaker.recordFailure()
        }
        #expect(await breaker.state == .open(until: 10_000_000))
        #expect(await breaker.acquire() == false)
        #expect(await breaker.retryAfter() == 10_000_000)
        time.advance(10_000_000)
        #expect(await breaker.retryAfter() == nil)
        #expect(await breaker.acquire())  // the probe
        #expect(await breaker.acquire() == false)  // only one
        await breaker.recordFailure()
        #expect(await breaker.state == .open(until: 20_000_000))
        time.advance(10_000_000)
        #expect(await breaker.acquire())
        await breaker.recordSuccess()
        #expect(await breaker.state == .closed(consecutiveFailures: 0))
        #expect(await breaker.acquire())
        #expect(await breaker.acquire())
    }

    @Test("backoff doubles per attempt within [ceiling/2, ceiling], capped", arguments: [0.0, 0.5, 1.0])
    func backoff(random: Double) {
        let policy = RetryPolicy(maxAttempts: 10, baseMicros: 1_000_000, capMicros: 8_000_000)
        for attempt in 1...6 {
            let ceiling = min(8_000_000, Int64(1_000_000) << Int64(attempt - 1))
            let delay = policy.delay(afterAttempt: attempt, random: random)
            #expect(delay >= ceiling / 2 && delay <= ceiling)
        }
        #expect(policy.delay(afterAttempt: 1, random: 1) == 1_000_000)
        #expect(policy.delay(afterAttempt: 2, random: 0) == 1_000_000)
    }
}
