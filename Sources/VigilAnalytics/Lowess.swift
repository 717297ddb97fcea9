/// statsmodels 0.15 LOWESS with `it = 0` and `delta = 0` (DEFINITIONS.md Appendix B): a tricube-weighted
/// local linear fit at every point, over a sliding neighbourhood of r = int(frac·n) points.
enum Lowess {
    static func fit(x: [Double], y: [Double], frac: Double) -> [Double] {
        let n = x.count
        guard n > 0 else { return [] }
        guard n > 1 else { return y }
        let r = min(max(Int(saturating: frac * Double(n) + 1e-10), 2), n)
        var fitted = [Double](repeating: 0, count: n)
        var weights = [Double](repeating: 0, count: r)
        var left = 0
        var right = r
        for i in 0..<n {
            let xi = x[i]
            while right < n && xi > (x[left] + x[right]) / 2 {
                left += 1
                right += 1
            }
            let radius = max(xi - x[left], x[right - 1] - xi)
            var total = 0.0
            var nonZero = 0
            for j in left..<right {
                let d = abs(x[j] - xi) / radius
                let base = 1 - d * d * d
                let w = base * base * base
                weights[j - left] = w
                if w > 1e-12 { nonZero += 1 }
                total += w
            }
            if nonZero < 2 {
                fitted[i] = y[i]
                continue
            }
            var xMean = 0.0
            for j in left..<right {
                weights[j - left] /= total
                xMean += weights[j - left] * x[j]
            }
            var spread = 0.0
            for j in left..<right {
                let dx = x[j] - xMean
                spread += weights[j - left] * dx * dx
            }
            spread = max(spread, 1e-12)
            var value = 0.0
            for j in left..<right {
                value += weights[j - left] * (1 + (xi - xMean) * (x[j] - xMean) / spread) * y[j]
            }
            fitted[i] = value
        }
        return fitted
    }
}
