/// pyActigraphy 1.2.2's non-parametric rest-activity metrics and sleep/wake scorings, reproduced
/// to the last bit where the arithmetic order is known (see DEFINITIONS.md).
///
/// Edge cases, decided once for the whole API:
/// - Too short (under 24 h, or not every time of day present): L5, M10, RA and SRI throw
///   `insufficientData`; IS, IV, ADAT, kRA and kAR still compute, as in pyActigraphy.
/// - No variation (all-zero or all-missing data): pyActigraphy returns NaN (0/0) for IS, IV and RA. These
///   functions throw `noActivityVariation` instead, so a non-optional Double is never NaN and a server can
///   answer 422 ("activity never varies in this window").
/// - Gaps (NaN): count as zero activity in IS, IV and Cole-Kripke (pandas sums an empty bin to 0), are
///   skipped by the profile, L5/M10 and ADAT (which rescales each day), and make Sadeh, Scripps and Oakley
///   score the epochs around them as wake. They can make the SRI nil, which is not an error.
public enum Actigraphy {
    /// The full report.
    ///
    /// - Throws: `ActigraphyReportError` listing every metric or algorithm of the report that could not be
    ///   computed. An SRI, kRA or kAR that pyActigraphy would give as NaN is not an error; it is nil.
    public static func report(
        _ recording: ActigraphyRecording, settings: ActigraphySettings = .init()
    ) throws(ActigraphyReportError) -> ActigraphyReport {
        var problems: [ActigraphyError] = []
        func attempt<T>(_ body: () throws(ActigraphyError) -> T) -> T? {
            // Cooperative cancellation between metrics, so a timed-out job stops using the CPU.
            guard !Task.isCancelled else {
                if problems.last != .cancelled { problems.append(.cancelled) }
                return nil
            }
            do {
                return try body()
            } catch {
                problems.append(error)
                return nil
            }
        }
        let binary = recording.binarized(threshold: settings.binarizationThreshold)
        let interdaily = attempt { () throws(ActigraphyError) in try interdailyStability(binary, binarize: false) }
        let intradaily = attempt { () throws(ActigraphyError) in try intradailyVariability(binary, binarize: false) }

        let slots = DailySlots(recording)
        var l5: LMXResult?
        var m10: LMXResult?
        var ra: Double?
        if let slots {
            let profile = DailyProfile(binary.values, slots: slots)
            l5 = lmx(profile: profile, recording: recording, hours: settings.l5Hours, lowest: true)
            m10 = lmx(profile: profile, recording: recording, hours: settings.m10Hours, lowest: false)
            if l5!.value.isNaN {
                // Only an all-missing recording leaves every profile slot empty.
                problems.append(contentsOf: ["l5", "m10", "ra"].map { .insufficientData(metric: $0, minimum: anyValue) })
                l5 = nil
                m10 = nil
            } else {
                ra = attempt { () throws(ActigraphyError) in try relativeAmplitude(l5: l5!, m10: m10!) }
            }
        } else {
            for metric in ["l5", "m10", "ra"] { problems.append(.insufficientData(metric: metric, minimum: dailyCoverage)) }
        }
        let adatValue = attempt { () throws(ActigraphyError) in try adat(binary, binarize: false) }
        let restRate = StateTransitionRate(binary: binary.values, fromRest: true, frac: settings.krFrac).value
        let activeRate = StateTransitionRate(binary: binary.values, fromRest: false, frac: settings.krFrac).value

        var scoring: [SleepAlgorithm: SleepScoring] = [:]
        scoring[.coleKripke] = attempt { () throws(ActigraphyError) in
            try coleKripke(recording, threshold: settings.coleKripkeThreshold, rescoring: settings.coleKripkeRescoring)
        }
        scoring[.sadeh] = sadeh(
            recording, offset: settings.sadehOffset, weights: settings.sadehWeights, threshold: settings.sadehThreshold)
        scoring[.scripps] = scripps(recording, scale: settings.scrippsScale, threshold: settings.scrippsThreshold)
        scoring[.oakley] = attempt { () throws(ActigraphyError) in try oakley(recording, threshold: settings.oakleyThreshold) }
        let rest = attempt { () throws(ActigraphyError) in try RoennebergDetection.run(recording, settings: settings.roenneberg) }
        var sri: Double?
        if let rest {
            scoring[.roenneberg] = roennebergScoring(rest, recording: recording)
            if let slots { sri = sleepRegularityIndex(rest: rest, slots: slots) }
        }
        if slots == nil { problems.append(.insufficientData(metric: "sri", minimum: dailyCoverage)) }

        guard problems.isEmpty, let interdaily, let intradaily, let l5, let m10, let ra, let adatValue else {
            throw ActigraphyReportError(problems: problems)
        }
        return ActigraphyReport(
            settings: settings, interdailyStability: interdaily, intradailyVariability: intradaily,
            relativeAmplitude: ra, l5: l5, m10: m10, adat: adatValue,
            kRA: restRate.isNaN ? nil : restRate, kAR: activeRate.isNaN ? nil : activeRate,
            sleepRegularityIndex: sri, scoring: scoring)
    }
}
