/// pyActigraphy's `rolling(m, center=True).apply(_window_convolution)`: scale · Σ w_k·a_{i−h+k}, defined
/// only when all m positions exist and hold values (zero weights included). Products are summed left to
/// right without FMA, the order that reproduced every pyActigraphy decision for windows of ≤ 9 weights.
enum CenteredWindowScore {
    /// Scores per epoch; NaN where the window is incomplete.
    static func scores(_ values: [Double], weights: [Double], scale: Double) -> [Double] {
        let n = values.count
        let m = weights.count
        let half = (m - 1) / 2
        var result = [Double](repeating: .nan, count: n)
        guard n >= m else { return result }
        values.withUnsafeBufferPointer { v in
            weights.withUnsafeBufferPointer { w in
                result.withUnsafeMutableBufferPointer { out in
                    // Index of the most recent missing value at or before the window's last position.
                    var lastMissing = -1
                    for j in 0..<(m - 1) where v[j].isNaN { lastMissing = j }
                    for i in half..<(n - half) {
                        let end = i + half
                        if v[end].isNaN { lastMissing = end }
                        let begin = i - half
                        if lastMissing >= begin { continue }
                        var acc = 0.0
                        for k in 0..<m { acc += w[k] * v[begin + k] }
                        out[i] = scale * acc
                    }
                }
            }
        }
        return result
    }

    /// 1 where `isSleep(score)`, 0 otherwise (a NaN score is wake).
    static func decisions(_ scores: [Double], isSleep: (Double) -> Bool) -> [UInt8] {
        scores.map { !$0.isNaN && isSleep($0) ? 1 : 0 }
    }
}
