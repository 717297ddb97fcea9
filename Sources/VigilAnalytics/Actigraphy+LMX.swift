extension Actigraphy {
    static let dailyCoverage = "24 h of epochs covering every time of day"
    static let anyValue = "at least one epoch with a value"

    /// L5, `raw.L5(binarize:, threshold:)`: the least active `hours`-long window of the average daily profile.
    ///
    /// - Throws: `insufficientData(metric: "l5", …)` when the recording does not cover every time of day.
    public static func l5(
        _ recording: ActigraphyRecording, hours: Double = 5, binarize: Bool = true, threshold: Double = 4
    ) throws(ActigraphyError) -> LMXResult {
        try lmx(recording, hours: hours, lowest: true, binarize: binarize, threshold: threshold, metric: "l5")
    }

    /// M10, `raw.M10(binarize:, threshold:)`: the most active `hours`-long window of the average daily profile.
    ///
    /// - Throws: `insufficientData(metric: "m10", …)` when the recording does not cover every time of day.
    public static func m10(
        _ recording: ActigraphyRecording, hours: Double = 10, binarize: Bool = true, threshold: Double = 4
    ) throws(ActigraphyError) -> LMXResult {
        try lmx(recording, hours: hours, lowest: false, binarize: binarize, threshold: threshold, metric: "m10")
    }

    /// Relative amplitude (M10 − L5) / (M10 + L5), `raw.RA(binarize:, threshold:)`.
    ///
    /// - Throws: `insufficientData(metric: "ra", …)` when the recording does not cover every time of day;
    ///   `noActivityVariation(metric: "ra")` when M10 + L5 = 0 (an all-zero profile), where pyActigraphy gives NaN.
    public static func relativeAmplitude(
        _ recording: ActigraphyRecording, l5Hours: Double = 5, m10Hours: Double = 10,
        binarize: Bool = true, threshold: Double = 4
    ) throws(ActigraphyError) -> Double {
        guard let slots = DailySlots(recording) else {
            throw .insufficientData(metric: "ra", minimum: dailyCoverage)
        }
        let profile = DailyProfile(recording.prepared(binarize: binarize, threshold: threshold).values, slots: slots)
        return try relativeAmplitude(
            l5: lmx(profile: profile, recording: recording, hours: l5Hours, lowest: true),
            m10: lmx(profile: profile, recording: recording, hours: m10Hours, lowest: false))
    }

    static func relativeAmplitude(l5: LMXResult, m10: LMXResult) throws(ActigraphyError) -> Double {
        let ra = (m10.value - l5.value) / (m10.value + l5.value)
        guard !ra.isNaN else { throw .noActivityVariation(metric: "ra") }
        return ra
    }

    private static func lmx(
        _ recording: ActigraphyRecording, hours: Double, lowest: Bool, binarize: Bool, threshold: Double,
        metric: String
    ) throws(ActigraphyError) -> LMXResult {
        guard let slots = DailySlots(recording) else {
            throw .insufficientData(metric: metric, minimum: dailyCoverage)
        }
        let profile = DailyProfile(recording.prepared(binarize: binarize, threshold: threshold).values, slots: slots)
        let result = lmx(profile: profile, recording: recording, hours: hours, lowest: lowest)
        guard !result.value.isNaN else { throw .insufficientData(metric: metric, minimum: anyValue) }
        return result
    }

    /// `_lmx`: rolling time-window sums over the profile repeated twice (Appendix A rounding), shifted so
    /// that S_i is the window starting at slot i; the first extreme wins.
    static func lmx(profile: DailyProfile, recording: ActigraphyRecording, hours: Double, lowest: Bool) -> LMXResult {
        let windowMicros = hours * 3_600_000_000
        let epoch = Double(recording.epochMicros)
        let n = Int(saturating: windowMicros / epoch)
        // pandas' time window (t − W, t] holds ceil(W/Δ) epochs; the shift and the mean use int(W/Δ).
        let span = max(1, Int(saturating: (windowMicros / epoch).rounded(.up)))
        let doubled = profile.values + profile.values
        let total = doubled.count
        let sums = doubled.withUnsafeBufferPointer { v in
            RollingKahanWindow.roll(v, count: total, output: .sum, minPeriods: 1) { j in
                (max(0, j - span + 1), j + 1)
            }
        }
        var best = -1
        var bestValue = 0.0
        let shift = max(n - 1, 0)
        if total - shift > 0 {
            for i in 0..<(total - shift) {
                let s = sums[i + shift]
                if s.isNaN { continue }
                if best < 0 || (lowest ? s < bestValue : s > bestValue) {
                    best = i
                    bestValue = s
                }
            }
        }
        guard best >= 0, n > 0 else { return LMXResult(value: .nan, startOffsetSeconds: .nan) }
        return LMXResult(value: bestValue / Double(n), startOffsetSeconds: Double(best) * recording.epochSeconds)
    }
}
