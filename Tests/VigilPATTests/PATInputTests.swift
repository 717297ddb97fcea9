import Testing

@testable import VigilPAT

@Suite("PATInput standardization")
struct PATInputTests {
    @Test("z-score of week_a_circadian_raw equals the reference week_a_circadian_std within 1 ulp")
    func zscoreMatchesReference() throws {
        let raw = try TestResources.floats("inputs/week_a_circadian_raw.bin").map(Double.init)
        let expected = try TestResources.floats("inputs/week_a_circadian_std.bin")
        let z = try PATInput.standardize(raw, .zscore)
        let worstULPs = zip(z, expected).map { abs(Int($0.bitPattern) - Int($1.bitPattern)) }.max() ?? 0
        #expect(worstULPs <= 1)
    }

    @Test("a constant week z-scores to zeros instead of dividing by zero")
    func constantWeekIsZero() throws {
        let z = try PATInput.standardize([Double](repeating: 42, count: 10080), .zscore)
        #expect(z.allSatisfy { $0 == 0 })
    }

    @Test(".none only converts to Float")
    func noneConverts() throws {
        let raw = (0..<10080).map { Double($0) / 7 }
        #expect(try PATInput.standardize(raw, .none) == raw.map { Float($0) })
    }

    @Test("cohort scaling is per minute and treats std 0 as 1")
    func cohortScaling() throws {
        let raw = (0..<10080).map { Double($0 % 1440) }
        let mean = (0..<10080).map { Double($0 % 7) }
        var std = [Double](repeating: 2, count: 10080)
        std[3] = 0
        let z = try PATInput.standardize(raw, .cohort(mean: mean, std: std))
        #expect(z[0] == 0)
        #expect(z[1] == 0)  // (1 - 1) / 2
        #expect(z[3] == 0)  // (3 - 3) / 1
        #expect(z[10] == Float((10.0 - 3.0) / 2))
        #expect(z[1441] == Float((1.0 - 6.0) / 2))
    }

    @Test(
        "invalid raw weeks are rejected",
        arguments: [
            ([Double](repeating: 0, count: 10079), PATModelError.invalidInputLength(expected: 10080, actual: 10079)),
            ([Double](repeating: 0, count: 9) + [.nan] + [Double](repeating: 0, count: 10070), .nonFiniteInput(index: 9)),
        ])
    func rejectsInvalidRaw(raw: [Double], expected: PATModelError) {
        #expect(throws: expected) { try PATInput.standardize(raw, .zscore) }
    }

    @Test(
        "invalid cohort statistics are rejected",
        arguments: [
            ([Double](repeating: 0, count: 10), [Double](repeating: 1, count: 10080)),
            ([Double](repeating: 0, count: 10080), [Double](repeating: -1, count: 10080)),
            ([Double](repeating: .nan, count: 10080), [Double](repeating: 1, count: 10080)),
        ])
    func rejectsBadCohort(mean: [Double], std: [Double]) {
        let error = #expect(throws: PATModelError.self) {
            try PATInput.standardize([Double](repeating: 0, count: 10080), .cohort(mean: mean, std: std))
        }
        guard case .invalidCohortStatistics = error else {
            Issue.record("expected invalidCohortStatistics, got \(String(describing: error))")
            return
        }
    }
}
