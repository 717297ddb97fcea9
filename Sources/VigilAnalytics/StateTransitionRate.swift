/// kRA / kAR (`raw.kRA`, `raw.kAR`): the weighted mean transition probability over the longest stretch of
/// run lengths where the probability stays within one SD of its LOWESS fit.
struct StateTransitionRate {
    /// Run lengths L_0 … L_{K−2}.
    let runLengths: [Double]
    /// p_k, the probability of leaving the state after L_k epochs, corrected for missing lengths.
    let probabilities: [Double]
    /// ω_k = √(N_k + N_{k+1}).
    let weights: [Double]
    let lowess: [Double]
    let standardDeviation: Double
    /// The rate, or NaN when no stretch qualifies.
    let value: Double

    /// - Parameters:
    ///   - binary: binarized epochs (0, 1 or NaN).
    ///   - fromRest: true for kRA (rest runs), false for kAR (active runs).
    init(binary: [Double], fromRest: Bool, frac: Double) {
        let lengthCounts = Self.runLengthCounts(binary, state: fromRest ? 0 : 1)
        let lengths = lengthCounts.indices.filter { lengthCounts[$0] > 0 }
        let k = lengths.count
        var atLeast = [Int](repeating: 0, count: k + 1)
        for i in stride(from: k - 1, through: 0, by: -1) { atLeast[i] = atLeast[i + 1] + lengthCounts[lengths[i]] }
        var x: [Double] = []
        var p: [Double] = []
        var w: [Double] = []
        if k >= 2 {
            for i in 0..<(k - 1) {
                x.append(Double(lengths[i]))
                let leaving = Double(atLeast[i] - atLeast[i + 1]) / Double(atLeast[i])
                p.append(leaving / Double(lengths[i + 1] - lengths[i]))
                w.append(Double(atLeast[i] + atLeast[i + 1]).squareRoot())
            }
        }
        let fit = Lowess.fit(x: x, y: p, frac: frac)
        let sd = NumpySum.nanVariance(p).squareRoot()
        // Longest run of consecutive k with |p − fit| < σ; the first one on ties.
        var bestStart = 0
        var bestLength = 0
        var runStart = 0
        for i in 0...p.count {
            let inside = i < p.count && abs(p[i] - fit[i]) < sd
            if !inside {
                if i - runStart > bestLength {
                    bestStart = runStart
                    bestLength = i - runStart
                }
                runStart = i + 1
            }
        }
        var value = Double.nan
        if bestLength > 0 {
            let range = bestStart..<(bestStart + bestLength)
            let weighted = range.map { w[$0] * p[$0] }
            value = NumpySum.sum(weighted) / NumpySum.sum(Array(w[range]))
        }
        runLengths = x
        probabilities = p
        weights = w
        lowess = fit
        standardDeviation = sd
        self.value = value
    }

    /// counts[L] = number of runs of `state` lasting L epochs. A missing epoch is its own rest run of
    /// length 0 (pandas counts no value and sums the empty group to 0) and breaks runs on both sides.
    static func runLengthCounts(_ binary: [Double], state: Double) -> [Int] {
        var counts = [Int](repeating: 0, count: binary.count + 1)
        var current = Double.nan
        var length = 0
        func close() {
            if length > 0 && current == state { counts[length] += 1 }
            length = 0
        }
        for v in binary {
            if v.isNaN {
                close()
                current = .nan
                if state == 0 { counts[0] += 1 }
            } else if v == current {
                length += 1
            } else {
                close()
                current = v
                length = 1
            }
        }
        close()
        return counts
    }
}

extension Actigraphy {
    /// Rest-to-activity transition probability kRA, `raw.kRA(threshold:, frac:, it=0, logit=False)`.
    /// Returns nil where pyActigraphy yields NaN (too few distinct rest-run lengths, no qualifying stretch).
    public static func kRA(_ recording: ActigraphyRecording, threshold: Double = 4, frac: Double = 0.3) -> Double? {
        let rate = StateTransitionRate(binary: recording.binarized(threshold: threshold).values, fromRest: true, frac: frac)
        return rate.value.isNaN ? nil : rate.value
    }

    /// Activity-to-rest transition probability kAR, `raw.kAR(threshold:, frac:, it=0, logit=False)`.
    /// Returns nil where pyActigraphy yields NaN.
    public static func kAR(_ recording: ActigraphyRecording, threshold: Double = 4, frac: Double = 0.3) -> Double? {
        let rate = StateTransitionRate(binary: recording.binarized(threshold: threshold).values, fromRest: false, frac: frac)
        return rate.value.isNaN ? nil : rate.value
    }
}
