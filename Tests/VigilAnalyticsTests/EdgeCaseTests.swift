import Testing

@testable import VigilAnalytics

@Suite("edge cases: short recordings, no activity, gaps, other epochs")
struct EdgeCaseTests {
    static let minute: Int64 = 60_000_000

    static func metrics(of problems: [ActigraphyError]) -> Set<String> {
        Set(problems.compactMap { if case .insufficientData(let metric, _) = $0 { metric } else { nil } })
    }

    @Test("under 24 h: L5, M10, RA and SRI report insufficient data; IS, IV and ADAT still compute")
    func shorterThanOneDay() throws {
        let full = try ReferenceCase.load("syn01_2d_regular_1min").recording
        let short = ActigraphyRecording(
            startLocalMicros: full.startLocalMicros, epochMicros: full.epochMicros, values: Array(full.values.prefix(20 * 60)))
        let expected = ActigraphyError.insufficientData(metric: "l5", minimum: "24 h of epochs covering every time of day")
        #expect(throws: expected) { try Actigraphy.l5(short) }
        #expect(throws: ActigraphyError.insufficientData(metric: "m10", minimum: Actigraphy.dailyCoverage)) { try Actigraphy.m10(short) }
        #expect(throws: ActigraphyError.insufficientData(metric: "ra", minimum: Actigraphy.dailyCoverage)) {
            try Actigraphy.relativeAmplitude(short)
        }
        #expect(throws: ActigraphyError.insufficientData(metric: "sri", minimum: Actigraphy.dailyCoverage)) {
            try Actigraphy.sleepRegularityIndex(short)
        }
        #expect(try Actigraphy.interdailyStability(short).isFinite)
        #expect(try Actigraphy.intradailyVariability(short).isFinite)
        #expect(try Actigraphy.adat(short).isFinite)

        let error = #expect(throws: ActigraphyReportError.self) { try Actigraphy.report(short) }
        let problems = try #require(error?.problems)
        #expect(Self.metrics(of: problems) == ["l5", "m10", "ra", "sri"])
        #expect(problems.count == 4)
    }

    @Test("all-zero activity: IS, IV and RA have no variation, Roenneberg finds no rest period")
    func allZero() throws {
        let zero = ActigraphyRecording(startLocalMicros: 0, epochMicros: Self.minute, values: [Double](repeating: 0, count: 3 * 1440))
        #expect(throws: ActigraphyError.noActivityVariation(metric: "is")) { try Actigraphy.interdailyStability(zero) }
        #expect(throws: ActigraphyError.noActivityVariation(metric: "iv")) { try Actigraphy.intradailyVariability(zero) }
        #expect(throws: ActigraphyError.noActivityVariation(metric: "ra")) { try Actigraphy.relativeAmplitude(zero) }
        #expect(throws: ActigraphyError.noRestPeriod(algorithm: "roenneberg")) { try Actigraphy.roenneberg(zero) }
        #expect(try Actigraphy.l5(zero).value == 0)
        #expect(try Actigraphy.m10(zero).value == 0)
        #expect(try Actigraphy.adat(zero) == 0)
        #expect(Actigraphy.kRA(zero) == nil)
        #expect(Actigraphy.kAR(zero) == nil)

        let error = #expect(throws: ActigraphyReportError.self) { try Actigraphy.report(zero) }
        #expect(
            error?.problems == [
                .noActivityVariation(metric: "is"), .noActivityVariation(metric: "iv"),
                .noActivityVariation(metric: "ra"), .noRestPeriod(algorithm: "roenneberg"),
            ])
    }

    @Test("a 4-h gap across midnight counts as zero in IS, IV and Cole-Kripke and wakes the windowed scorers")
    func gapAcrossMidnight() throws {
        let base = try ReferenceCase.load("syn02_7d_regular_1min").recording  // starts at midnight
        let gap = (3 * 1440 - 120)..<(3 * 1440 + 120)  // 22:00 on day 3 to 02:00 on day 4
        var withGap = base.values
        var zeroFilled = base.values
        for i in gap {
            withGap[i] = .nan
            zeroFilled[i] = 0
        }
        let gapped = ActigraphyRecording(startLocalMicros: base.startLocalMicros, epochMicros: base.epochMicros, values: withGap)
        let zeros = ActigraphyRecording(startLocalMicros: base.startLocalMicros, epochMicros: base.epochMicros, values: zeroFilled)

        #expect(try Actigraphy.interdailyStability(gapped) == Actigraphy.interdailyStability(zeros))
        #expect(try Actigraphy.intradailyVariability(gapped) == Actigraphy.intradailyVariability(zeros))
        #expect(try Actigraphy.coleKripke(gapped).values == Actigraphy.coleKripke(zeros).values)
        // Days with missing epochs are scaled up to a full day, so ADAT differs from zero-filling.
        #expect(try Actigraphy.adat(gapped) > Actigraphy.adat(zeros))

        let sadeh = Actigraphy.sadeh(gapped).values
        let scripps = Actigraphy.scripps(gapped).values
        let oakley = try Actigraphy.oakley(gapped).values
        #expect(((gap.lowerBound - 5)..<(gap.upperBound + 5)).allSatisfy { sadeh[$0] == 0 })
        #expect(((gap.lowerBound - 10)..<(gap.upperBound + 10)).allSatisfy { scripps[$0] == 0 })
        #expect(((gap.lowerBound - 2)..<(gap.upperBound + 2)).allSatisfy { oakley[$0] == 0 })

        // The 24-h trend keeps ≥ 12 h of data everywhere, so the Roenneberg output and the SRI stay defined.
        let report = try Actigraphy.report(gapped)
        #expect(report.scoring[.roenneberg]?.values.allSatisfy { $0 != nil } == true)
        #expect(report.sleepRegularityIndex != nil)
    }

    @Test("a gap long enough to starve the trend makes the SRI nil without failing the report")
    func longGapMakesSRINil() throws {
        let base = try ReferenceCase.load("syn02_7d_regular_1min").recording
        var values = base.values
        for i in (4 * 1440)..<(4 * 1440 + 14 * 60) { values[i] = .nan }
        let gapped = ActigraphyRecording(startLocalMicros: base.startLocalMicros, epochMicros: base.epochMicros, values: values)
        let report = try Actigraphy.report(gapped)
        #expect(report.sleepRegularityIndex == nil)
        #expect(report.scoring[.roenneberg]?.values.contains(nil) == true)
    }

    @Test("epoch lengths an algorithm does not support are named in the error")
    func unsupportedEpochs() throws {
        let values = try ReferenceCase.load("syn02_7d_regular_1min").recording.values
        let fortyFive = ActigraphyRecording(startLocalMicros: 0, epochMicros: 45_000_000, values: values)
        #expect(throws: ActigraphyError.unsupportedEpoch(algorithm: "oakley", epochSeconds: 45)) { try Actigraphy.oakley(fortyFive) }
        let error = #expect(throws: ActigraphyReportError.self) { try Actigraphy.report(fortyFive) }
        #expect(error?.problems == [.unsupportedEpoch(algorithm: "oakley", epochSeconds: 45)])

        let twoMinutes = ActigraphyRecording(startLocalMicros: 0, epochMicros: 120_000_000, values: values)
        #expect(throws: ActigraphyError.unsupportedEpoch(algorithm: "cole_kripke", epochSeconds: 120)) {
            try Actigraphy.coleKripke(twoMinutes)
        }
        #expect(throws: ActigraphyError.unsupportedEpoch(algorithm: "cole_kripke", epochSeconds: 60)) {
            try Actigraphy.coleKripke(
                ActigraphyRecording(startLocalMicros: 0, epochMicros: Self.minute, values: values),
                variant: .thirtySecondMaxNonOverlap)
        }
        #expect(try Actigraphy.oakley(twoMinutes).values.count == values.count)
    }

    @Test("30-s epochs: L5/M10 starts fall on the 30-s grid and Cole-Kripke is on whole minutes")
    func thirtySecondEpochs() throws {
        let rec = try ReferenceCase.load("syn04_7d_30s").recording
        let report = try Actigraphy.report(rec)
        #expect(report.l5.startOffsetSeconds.truncatingRemainder(dividingBy: 30) == 0)
        let ck = try #require(report.scoring[.coleKripke])
        #expect(ck.epochMicros == Self.minute)
        #expect(ck.firstEpochLocalMicros % Self.minute == 0)
        #expect(ck.firstEpochLocalMicros == rec.startLocalMicros - 30_000_000)
        #expect(report.scoring[.sadeh]?.epochMicros == 30_000_000)
    }

    @Test("start offsets of 24 h or more map back to a time of day", arguments: [(88_980.0, 2_580), (1_680.0, 1_680), (86_400.0, 0)])
    func startSecondOfDay(offset: Double, expected: Int) {
        #expect(LMXResult(value: 0, startOffsetSeconds: offset).startSecondOfDay == expected)
    }

    @Test("empty and all-missing recordings fail cleanly, naming every metric", arguments: [0, 3 * 1440])
    func nothingToMeasure(count: Int) throws {
        let rec = ActigraphyRecording(startLocalMicros: 0, epochMicros: Self.minute, values: [Double](repeating: .nan, count: count))
        let error = #expect(throws: ActigraphyReportError.self) { try Actigraphy.report(rec) }
        let problems = try #require(error?.problems)
        #expect(Self.metrics(of: problems).isSuperset(of: ["l5", "m10", "ra", "adat"]))
        #expect(
            problems.contains {
                if case .insufficientData("roenneberg", _) = $0 { true } else { $0 == .noRestPeriod(algorithm: "roenneberg") }
            })
        #expect(Actigraphy.sadeh(rec).sleepEpochs == 0)
        #expect(Actigraphy.kRA(rec) == nil)
    }

    @Test("a recording shorter than the 12-h trend minimum is too short for Roenneberg")
    func shortRoenneberg() throws {
        let rec = ActigraphyRecording(startLocalMicros: 0, epochMicros: Self.minute, values: [Double](repeating: 10, count: 600))
        #expect(throws: ActigraphyError.insufficientData(metric: "roenneberg", minimum: "12 h of epochs for the activity trend")) {
            try Actigraphy.roenneberg(rec)
        }
    }
}
