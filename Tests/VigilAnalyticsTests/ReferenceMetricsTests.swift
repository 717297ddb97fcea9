import Testing

@testable import VigilAnalytics

@Suite("pyActigraphy reference metrics")
struct ReferenceMetricsTests {
    @Test("IS, IV, RA and ADAT match within 1e-9 relative, binarized and raw", arguments: ReferenceCase.names)
    func scalarMetrics(name: String) throws {
        let ref = try ReferenceCase.load(name)
        let rec = ref.recording
        let metrics = ref.expected.metrics
        for binarize in [true, false] {
            let suffix = binarize ? "" : "_nonbinarized"
            expectClose(try Actigraphy.interdailyStability(rec, binarize: binarize), metrics["IS" + suffix]?.value, "\(name) IS\(suffix)")
            expectClose(try Actigraphy.intradailyVariability(rec, binarize: binarize), metrics["IV" + suffix]?.value, "\(name) IV\(suffix)")
            expectClose(try Actigraphy.relativeAmplitude(rec, binarize: binarize), metrics["RA" + suffix]?.value, "\(name) RA\(suffix)")
            expectClose(try Actigraphy.adat(rec, binarize: binarize), metrics["ADAT" + suffix]?.value, "\(name) ADAT\(suffix)")
        }
    }

    @Test("kRA, kAR and SRI match (nil where pyActigraphy gives NaN)", arguments: ReferenceCase.names)
    func fragmentationAndRegularity(name: String) throws {
        let ref = try ReferenceCase.load(name)
        let metrics = ref.expected.metrics
        expectClose(Actigraphy.kRA(ref.recording), metrics["kRA"]?.value, "\(name) kRA")
        expectClose(Actigraphy.kAR(ref.recording), metrics["kAR"]?.value, "\(name) kAR")
        expectClose(try Actigraphy.sleepRegularityIndex(ref.recording), metrics["SRI"]?.value, "\(name) SRI")
    }

    @Test("kRA and kAR intermediates: run lengths, p(t), weights, LOWESS, SD", arguments: ReferenceCase.names)
    func transitionIntermediates(name: String) throws {
        let ref = try ReferenceCase.load(name)
        let binary = ref.recording.binarized(threshold: 4).values
        for (key, fromRest) in [("kRA", true), ("kAR", false)] {
            let expected = try #require(ref.expected.metrics[key]?.intermediate)
            let rate = StateTransitionRate(binary: binary, fromRest: fromRest, frac: 0.3)
            #expect(rate.runLengths == expected.runLengthsT, "\(name) \(key) run lengths")
            try #require(rate.probabilities.count == expected.pT.count)
            for k in expected.pT.indices {
                expectClose(rate.probabilities[k], expected.pT[k], "\(name) \(key) p[\(k)]")
                expectClose(rate.weights[k], expected.weights[k], "\(name) \(key) w[\(k)]")
                expectClose(rate.lowess[k], expected.lowess[k], "\(name) \(key) lowess[\(k)]", relative: 1e-9)
            }
            expectClose(rate.standardDeviation, expected.stdDdof1, "\(name) \(key) std")
        }
    }

    @Test("L5 and M10: value within 1e-9 and the exact raw start offset", arguments: ReferenceCase.names)
    func lmx(name: String) throws {
        let ref = try ReferenceCase.load(name)
        let rec = ref.recording
        let cases: [(String, LMXResult)] = [
            ("L5", try Actigraphy.l5(rec)), ("M10", try Actigraphy.m10(rec)),
            ("L5_nonbinarized", try Actigraphy.l5(rec, binarize: false)),
            ("M10_nonbinarized", try Actigraphy.m10(rec, binarize: false)),
        ]
        for (key, result) in cases {
            let expected = try #require(ref.expected.metrics[key])
            expectClose(result.value, expected.value, "\(name) \(key)")
            let ties = try #require(expected.tieSetTimeOfDaySeconds)
            #expect(ties.contains(Double(result.startSecondOfDay)), "\(name) \(key) start not in the tie set")
            #expect(result.startOffsetSeconds == expected.start?.offsetSeconds, "\(name) \(key) raw start offset")
        }
    }

    @Test("the report carries the same values as the single-metric functions", arguments: ReferenceCase.names)
    func reportMatchesReference(name: String) throws {
        let ref = try ReferenceCase.load(name)
        let metrics = ref.expected.metrics
        let report = try Actigraphy.report(ref.recording)
        expectClose(report.interdailyStability, metrics["IS"]?.value, "\(name) report IS")
        expectClose(report.intradailyVariability, metrics["IV"]?.value, "\(name) report IV")
        expectClose(report.relativeAmplitude, metrics["RA"]?.value, "\(name) report RA")
        expectClose(report.adat, metrics["ADAT"]?.value, "\(name) report ADAT")
        expectClose(report.kRA, metrics["kRA"]?.value, "\(name) report kRA")
        expectClose(report.kAR, metrics["kAR"]?.value, "\(name) report kAR")
        expectClose(report.sleepRegularityIndex, metrics["SRI"]?.value, "\(name) report SRI")
        #expect(report.l5.startOffsetSeconds == metrics["L5"]?.start?.offsetSeconds)
        #expect(report.m10.startOffsetSeconds == metrics["M10"]?.start?.offsetSeconds)
        #expect(Set(report.scoring.keys) == Set(SleepAlgorithm.allCases))
        #expect(report.scoring[.oakley]?.values.count == ref.expected.sleepScoring["Oakley"]?.nEpochs)
    }

    @Test("beyond the 1e-9 contract: every metric value is bit-identical to pyActigraphy", arguments: ReferenceCase.names)
    func bitExact(name: String) throws {
        let ref = try ReferenceCase.load(name)
        let r = ref.recording
        let computed: [(String, Double?)] = [
            ("IS", try Actigraphy.interdailyStability(r)), ("IS_nonbinarized", try Actigraphy.interdailyStability(r, binarize: false)),
            ("IV", try Actigraphy.intradailyVariability(r)), ("IV_nonbinarized", try Actigraphy.intradailyVariability(r, binarize: false)),
            ("RA", try Actigraphy.relativeAmplitude(r)), ("RA_nonbinarized", try Actigraphy.relativeAmplitude(r, binarize: false)),
            ("ADAT", try Actigraphy.adat(r)), ("ADAT_nonbinarized", try Actigraphy.adat(r, binarize: false)),
            ("kRA", Actigraphy.kRA(r)), ("kAR", Actigraphy.kAR(r)), ("SRI", try Actigraphy.sleepRegularityIndex(r)),
            ("L5", try Actigraphy.l5(r).value), ("M10", try Actigraphy.m10(r).value),
            ("L5_nonbinarized", try Actigraphy.l5(r, binarize: false).value),
            ("M10_nonbinarized", try Actigraphy.m10(r, binarize: false).value),
        ]
        for (key, value) in computed {
            #expect(value == ref.expected.metrics[key]?.value, "\(name) \(key)")
        }
    }
}
