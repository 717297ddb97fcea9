extension Actigraphy {
    /// Oakley's weights for the epoch lengths pyActigraphy supports (15, 30, 60 and 120 s).
    static func oakleyWeights(epochMicros: Int64) -> [Double]? {
        switch epochMicros {
        case 15_000_000:
            return [Double](repeating: 0.04, count: 4) + [Double](repeating: 0.2, count: 4) + [4]
                + [Double](repeating: 0.2, count: 4) + [Double](repeating: 0.04, count: 4)
        case 30_000_000: return [0.04, 0.04, 0.2, 0.2, 2, 0.2, 0.2, 0.04, 0.04]
        case 60_000_000: return [0.04, 0.2, 1, 0.2, 0.04]
        case 120_000_000: return [0.12, 0.5, 0.12]
        default: return nil
        }
    }

    /// Oakley, `raw.Oakley(threshold:)` on the native epochs: sleep when Σ w_k x_{i+k} < threshold (strict).
    ///
    /// - Throws: `unsupportedEpoch` for epochs other than 15, 30, 60 or 120 s; `insufficientData` when the
    ///   automatic threshold is undefined (no mobile epoch).
    public static func oakley(
        _ recording: ActigraphyRecording, threshold: OakleyThreshold = .fixed(40)
    ) throws(ActigraphyError) -> SleepScoring {
        guard let weights = oakleyWeights(epochMicros: recording.epochMicros) else {
            throw .unsupportedEpoch(algorithm: "oakley", epochSeconds: recording.epochSeconds)
        }
        let limit: Double
        switch threshold {
        case .fixed(let value): limit = value
        case .automatic:
            limit = oakleyAutomaticThreshold(recording)
            guard limit.isFinite else {
                throw .insufficientData(metric: "oakley", minimum: "at least one epoch with movement for the automatic threshold")
            }
        }
        let scores = CenteredWindowScore.scores(recording.values, weights: weights, scale: 1)
        let decisions = CenteredWindowScore.decisions(scores) { $0 < limit }
        return SleepScoring(
            firstEpochLocalMicros: recording.startLocalMicros, epochMicros: recording.epochMicros, values: decisions.map { $0 })
    }

    /// Actiware's automatic wake threshold as pyActigraphy computes it:
    /// (Σ counts) / (#{epochs with count ≥ int(Δ / 15 s)} · Δ / 60 s) · 0.88888. Infinite or NaN when no
    /// epoch is mobile.
    public static func oakleyAutomaticThreshold(_ recording: ActigraphyRecording) -> Double {
        let mobileCount = Double(Int(recording.epochSeconds / 15))
        var total = KahanSum()
        var mobile = 0
        for v in recording.values where !v.isNaN {
            total.add(v)
            if v >= mobileCount { mobile += 1 }
        }
        return (total.sum / (Double(mobile) * (recording.epochSeconds / 60))) * 0.88888
    }
}
