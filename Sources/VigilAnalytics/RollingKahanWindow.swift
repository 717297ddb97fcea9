/// pandas 1.5's incremental rolling sum and mean (add/remove Kahan with separate compensations,
/// DEFINITIONS.md Appendix A). L5/M10 tie-breaking depends on its exact rounding.
struct RollingKahanWindow {
    private var nobs = 0
    private var sum = 0.0
    private var compAdd = 0.0
    private var compRemove = 0.0
    private var prev = 0.0
    private var ncons = 0
    private var negatives = 0

    /// Starts a fresh window whose first position holds `first` (pandas seeds `prev` with it).
    mutating func reset(first: Double) {
        nobs = 0
        sum = 0
        compAdd = 0
        compRemove = 0
        negatives = 0
        ncons = 0
        prev = first
    }

    @inline(__always)
    mutating func add(_ v: Double) {
        guard !v.isNaN else { return }
        nobs += 1
        let y = v - compAdd
        let t = sum + y
        compAdd = (t - sum) - y
        sum = t
        if v < 0 { negatives += 1 }
        if v == prev { ncons += 1 } else { ncons = 1 }
        prev = v
    }

    @inline(__always)
    mutating func remove(_ v: Double) {
        guard !v.isNaN else { return }
        nobs -= 1
        let y = -v - compRemove
        let t = sum + y
        compRemove = (t - sum) - y
        sum = t
        if v < 0 { negatives -= 1 }
    }

    func sumOutput(minPeriods: Int) -> Double {
        guard nobs >= minPeriods else { return .nan }
        if nobs == 0 { return 0 }
        return ncons >= nobs ? prev * Double(nobs) : sum
    }

    func meanOutput(minPeriods: Int) -> Double {
        guard nobs >= minPeriods, nobs > 0 else { return .nan }
        if ncons >= nobs { return prev }
        let r = sum / Double(nobs)
        if negatives == 0 && r < 0 { return 0 }
        if negatives == nobs && r > 0 { return 0 }
        return r
    }

    enum Output { case sum, mean }

    /// Rolls over `values` with window i = [start(i), end(i)) (both non-decreasing) as pandas'
    /// `roll_sum` / `roll_mean` do, writing one output per window.
    static func roll(
        _ values: UnsafeBufferPointer<Double>, count: Int, output: Output, minPeriods: Int,
        bounds: (Int) -> (start: Int, end: Int)
    ) -> [Double] {
        var result = [Double](repeating: .nan, count: count)
        var window = RollingKahanWindow()
        var previous = (start: 0, end: 0)
        for i in 0..<count {
            let (s, e) = bounds(i)
            if i == 0 || s >= previous.end {
                window.reset(first: s < values.count ? values[s] : .nan)
                for j in s..<e { window.add(values[j]) }
            } else {
                for j in previous.start..<s { window.remove(values[j]) }
                for j in previous.end..<e { window.add(values[j]) }
            }
            result[i] = output == .sum ? window.sumOutput(minPeriods: minPeriods) : window.meanOutput(minPeriods: minPeriods)
            previous = (s, e)
        }
        return result
    }
}
