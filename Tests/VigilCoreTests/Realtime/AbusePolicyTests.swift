import Testing
import VigilCore

@Suite("Abuse policy")
struct AbusePolicyTests {
    private static let second = RealtimeLimits.microsecondsPerSecond

    /// Records `violation` at each time and returns the verdicts (`#expect` cannot call mutating methods).
    private static func verdicts(
        _ policy: inout AbusePolicy, _ violation: AbusePolicy.Violation, at times: [Int64]
    ) -> [AbusePolicy.Verdict] {
        times.map { policy.record(violation, now: $0) }
    }

    @Test(
        "the tenth violation within a minute closes with the kind's code",
        arguments: [(AbusePolicy.Violation.protocolError, RealtimeCloseCode.policyViolation), (.rateLimited, .rateLimited)])
    func closesAtLimit(violation: AbusePolicy.Violation, code: RealtimeCloseCode) {
        var policy = AbusePolicy(limits: RealtimeLimits())
        let times = (0..<9).map { Int64($0) * Self.second } + [59 * Self.second]
        let results = Self.verdicts(&policy, violation, at: times)
        #expect(results == Array(repeating: .tolerate, count: 9) + [.close(code)])
    }

    @Test("only violations inside the sliding window count")
    func slidingWindow() {
        var policy = AbusePolicy(maxProtocolErrors: 3, window: 10 * Self.second)
        // At 10 s the first error (0 s) is exactly one window old and no longer counts; at 16 s the one at 5 s
        // has aged out too; at 17 s the last three (10, 16, 17) fall within 10 s.
        let results = Self.verdicts(&policy, .protocolError, at: [0, 5, 10, 16, 17].map { $0 * Self.second })
        #expect(results == [.tolerate, .tolerate, .tolerate, .tolerate, .close(.policyViolation)])
    }

    @Test("the two kinds are counted separately")
    func separateCounters() {
        var policy = AbusePolicy(maxProtocolErrors: 2, maxRateLimitRejections: 2, window: 60 * Self.second)
        let first = Self.verdicts(&policy, .protocolError, at: [0]) + Self.verdicts(&policy, .rateLimited, at: [0, 1])
        let second = Self.verdicts(&policy, .protocolError, at: [1])
        #expect(first == [.tolerate, .tolerate, .close(.rateLimited)])
        #expect(second == [.close(.policyViolation)])
    }

    @Test("parse failures driving the policy close a spamming client with 1008")
    func parserIntegration() {
        var policy = AbusePolicy()
        var results: [AbusePolicy.Verdict] = []
        for index in 0..<10 {
            if case .failure = RealtimeClientMessage.parse(Array("nope".utf8), maxBytes: 1_024) {
                results.append(policy.record(.protocolError, now: Int64(index) * 1_000))
            }
        }
        #expect(results == Array(repeating: .tolerate, count: 9) + [.close(.policyViolation)])
    }
}
