import Foundation

extension Actigraphy {
    /// Sadeh weights of (mean, NAT, SD, LOG), as pyActigraphy's defaults.
    public static let sadehDefaultWeights: [Double] = [-0.065, -1.08, -0.056, -0.703]

    /// Sadeh, `raw.Sadeh(offset:, weights:, threshold:)` on the native epochs:
    /// PS = w·(mean₁₁, NAT₁₁, SD₆, ln(1 + next)) + offset, sleep when PS > threshold.
    /// NAT counts 50 < x < 100 (strict, as the code does), SD is the trailing 6-epoch sample SD and LOG uses
    /// the next epoch. Epochs i−5…i+5 must all hold values, otherwise the epoch is wake.
    public static func sadeh(
        _ recording: ActigraphyRecording, offset: Double = 7.601, weights: [Double] = sadehDefaultWeights,
        threshold: Double = 0
    ) -> SleepScoring {
        precondition(weights.count == 4, "Sadeh takes four weights")
        let n = recording.values.count
        var out = [UInt8?](repeating: 0, count: n)
        guard n >= 11 else {
            return SleepScoring(firstEpochLocalMicros: recording.startLocalMicros, epochMicros: recording.epochMicros, values: out)
        }
        let (wMean, wNat, wSD, wLog) = (weights[0], weights[1], weights[2], weights[3])
        recording.values.withUnsafeBufferPointer { x in
            // Most recent missing epoch at or before i+5: the window i−5…i+5 must hold values.
            var lastMissing = -1
            for j in 0..<10 where x[j].isNaN { lastMissing = j }
            for i in 5..<(n - 5) {
                if x[i + 5].isNaN { lastMissing = i + 5 }
                if lastMissing >= i - 5 { continue }
                var sum = 0.0
                var nat = 0.0
                for k in (i - 5)...(i + 5) {
                    let v = x[k]
                    sum += v
                    if v > 50 && v < 100 { nat += 1 }
                }
                let mean = sum / 11
                var trailing = 0.0
                for k in (i - 5)...i { trailing += x[k] }
                let trailingMean = trailing / 6
                var squares = 0.0
                for k in (i - 5)...i {
                    let d = x[k] - trailingMean
                    squares += d * d
                }
                let sd = (squares / 5).squareRoot()
                let log = Foundation.log(1 + x[i + 1])
                let ps = (wMean * mean + wNat * nat + wSD * sd + wLog * log) + offset
                out[i] = ps > threshold ? 1 : 0
            }
        }
        return SleepScoring(firstEpochLocalMicros: recording.startLocalMicros, epochMicros: recording.epochMicros, values: out)
    }
}
