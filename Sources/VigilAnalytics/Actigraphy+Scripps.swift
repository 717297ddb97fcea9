extension Actigraphy {
    /// Scripps weights for epochs i−10 … i+10 (the future half beyond i+2 is zero but must still hold values).
    public static let scrippsWeights: [Double] = [
        0.0064, 0.0074, 0.0112, 0.0112, 0.0118, 0.0118, 0.0128, 0.0188, 0.0280, 0.0664, 0.0300, 0.0112, 0.0100,
        0, 0, 0, 0, 0, 0, 0, 0,
    ]

    /// Scripps, `raw.Scripps(scale:, window:, threshold:)` on the native epochs: sleep when
    /// scale·Σ b_k x_{i+k} < threshold. The last 10 epochs and anything within ±10 of a gap are wake.
    public static func scripps(
        _ recording: ActigraphyRecording, scale: Double = 0.204, threshold: Double = 1.0
    ) -> SleepScoring {
        let scores = CenteredWindowScore.scores(recording.values, weights: scrippsWeights, scale: scale)
        let decisions = CenteredWindowScore.decisions(scores) { $0 < threshold }
        return SleepScoring(
            firstEpochLocalMicros: recording.startLocalMicros, epochMicros: recording.epochMicros, values: decisions.map { $0 })
    }
}
