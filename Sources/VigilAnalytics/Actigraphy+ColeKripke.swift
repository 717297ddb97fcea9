/// Which of pyActigraphy's Cole-Kripke settings to use; each fixes the minute aggregation and weights.
public enum ColeKripkeVariant: String, Sendable, CaseIterable, Codable {
    /// Minute sums / 30, weights [106, 54, 58, 76, 230, 74, 67, 0, 0] × 0.001; epochs ≤ 60 s.
    case mean
    /// Per-minute maximum of 30-s sums, weights [50, 30, 14, 28, 12, 8, 50, 0, 0] × 1e-4; epochs ≤ 30 s.
    case thirtySecondMaxNonOverlap = "30sec_max_non_overlap"
    /// Per-minute maximum of 10-s sums, weights [550, 378, 413, 699, 1736, 287, 300, 0, 0] × 1e-5; epochs ≤ 10 s.
    case tenSecondMaxNonOverlap = "10sec_max_non_overlap"
    /// Per-minute maximum of the 10-s rolling sum of 5-s sums, weights [50, 30, 300, 400, 1400, 500, 350, 0, 0]
    /// × 1e-5; epochs ≤ 5 s.
    case tenSecondMaxOverlap = "10sec_max_overlap"

    var maxEpochMicros: Int64 {
        switch self {
        case .mean: 60_000_000
        case .thirtySecondMaxNonOverlap: 30_000_000
        case .tenSecondMaxNonOverlap: 10_000_000
        case .tenSecondMaxOverlap: 5_000_000
        }
    }

    var weights: [Double] {
        switch self {
        case .mean: [106, 54, 58, 76, 230, 74, 67, 0, 0]
        case .thirtySecondMaxNonOverlap: [50, 30, 14, 28, 12, 8, 50, 0, 0]
        case .tenSecondMaxNonOverlap: [550, 378, 413, 699, 1736, 287, 300, 0, 0]
        case .tenSecondMaxOverlap: [50, 30, 300, 400, 1400, 500, 350, 0, 0]
        }
    }

    var scale: Double {
        switch self {
        case .mean: 0.001
        case .thirtySecondMaxNonOverlap: 0.0001
        case .tenSecondMaxNonOverlap, .tenSecondMaxOverlap: 0.00001
        }
    }

    /// Activity per clock minute, the input of the weighted window.
    func minuteActivity(_ recording: ActigraphyRecording) -> ClockBins {
        switch self {
        case .mean:
            var minutes = ClockBins(recording, widthMicros: 60_000_000)
            for i in minutes.sums.indices { minutes.sums[i] /= 30 }
            return minutes
        case .thirtySecondMaxNonOverlap:
            return ClockBins(recording, widthMicros: 30_000_000).maxPerMinute()
        case .tenSecondMaxNonOverlap:
            return ClockBins(recording, widthMicros: 10_000_000).maxPerMinute()
        case .tenSecondMaxOverlap:
            var bins = ClockBins(recording, widthMicros: 5_000_000)
            // Time window (t − 10 s, t]: this 5-s bin and the previous one.
            let single = bins.sums
            for k in single.indices.dropFirst() { bins.sums[k] = single[k - 1] + single[k] }
            return bins.maxPerMinute()
        }
    }
}

extension Actigraphy {
    /// Cole-Kripke, `raw.CK(settings:, threshold:, rescoring:)`. The series lies on the clock-minute grid:
    /// its first value is the minute holding the first epoch (07:45:00 for data starting at 07:45:30).
    /// Missing epochs count as zero activity, i.e. towards sleep; the last 4 minutes are always wake.
    ///
    /// - Throws: `unsupportedEpoch` when the epoch is longer than the variant allows (60 s for `.mean`).
    public static func coleKripke(
        _ recording: ActigraphyRecording, variant: ColeKripkeVariant = .mean, threshold: Double = 1.0,
        rescoring: Bool = true
    ) throws(ActigraphyError) -> SleepScoring {
        guard recording.epochMicros <= variant.maxEpochMicros else {
            throw .unsupportedEpoch(algorithm: "cole_kripke", epochSeconds: recording.epochSeconds)
        }
        let minutes = variant.minuteActivity(recording)
        let scores = CenteredWindowScore.scores(minutes.sums, weights: variant.weights, scale: variant.scale)
        var decisions = CenteredWindowScore.decisions(scores) { $0 < threshold }
        if rescoring { decisions = WebsterRescoring.apply(decisions) }
        return SleepScoring(
            firstEpochLocalMicros: minutes.firstBinMicros, epochMicros: minutes.widthMicros, values: decisions.map { $0 })
    }
}
