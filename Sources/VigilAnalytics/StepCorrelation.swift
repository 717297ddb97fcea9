/// Finds the rest-bout offset of one Roenneberg seed: the highest peak of the Pearson correlation between a
/// binary window v (length n) and the steps step_j = j+1 ones followed by zeros.
///
/// For binary v the correlation has a closed form, corr_j = (n·S_{j+1} − (j+1)·T) / √((j+1)(n−j−1)·T(n−T)),
/// with S the prefix count of ones and T the total. Comparing two values therefore needs only integers, so
/// the peak rules (strictly greater than the next C+1 values; first index of the maximum) are decided
/// exactly, in O(n), instead of pyActigraphy's O(n²) floating-point evaluation whose rounding only matters
/// for mathematically tied values.
struct StepCorrelation {
    private var numerators: [Int64] = []
    private var denominators: [Int64] = []
    private var nextNotLower: [Int] = []
    private var stack: [Int] = []

    /// Offset k (relative to the window start) of the highest peak, or nil when there is none
    /// (v constant or holding a missing value, or no value beats its followers).
    /// `followers` is C + 1: how many following values a peak must exceed.
    mutating func highestPeak(_ v: UnsafeBufferPointer<Double>, followers: Int) -> Int? {
        let n = v.count
        var total: Int64 = 0
        for x in v {
            if x.isNaN { return nil }
            if x == 1 { total += 1 }
        }
        let len = Int64(n)
        guard total > 0, total < len else { return nil }
        // corr_{n−1} is undefined (a constant step); indices 0..<n−1 are defined.
        let defined = n - 1
        numerators.removeAll(keepingCapacity: true)
        denominators.removeAll(keepingCapacity: true)
        var prefix: Int64 = 0
        for j in 0..<defined {
            if v[j] == 1 { prefix += 1 }
            let k = Int64(j + 1)
            numerators.append(len * prefix - k * total)
            denominators.append(k * (len - k))
        }
        // nextNotLower[j]: first t > j with corr_t ≥ corr_j, or n when none.
        nextNotLower.removeAll(keepingCapacity: true)
        nextNotLower.append(contentsOf: repeatElement(n, count: defined))
        stack.removeAll(keepingCapacity: true)
        for j in stride(from: defined - 1, through: 0, by: -1) {
            while let top = stack.last, compare(top, j) < 0 { stack.removeLast() }
            if let top = stack.last { nextNotLower[j] = top }
            stack.append(j)
        }
        // A candidate beats corr_{j+1…j+followers}; windows reaching index n−1 compare with NaN and fail.
        var best = -1
        if n - followers - 1 > 0 {
            for j in 0..<(n - followers - 1) where nextNotLower[j] > j + followers {
                if best < 0 || compare(j, best) > 0 { best = j }
            }
        }
        guard best >= 0 else { return nil }
        // The first index of the whole series holding the maximum value.
        for j in 0..<defined where compare(j, best) == 0 { return j }
        return best
    }

    /// Sign of corr_a − corr_b.
    @inline(__always)
    private func compare(_ a: Int, _ b: Int) -> Int {
        let na = numerators[a]
        let nb = numerators[b]
        let sa = na.signum()
        let sb = nb.signum()
        if sa != sb { return sa < sb ? -1 : 1 }
        if sa == 0 { return 0 }
        // Same sign: compare na²·db with nb²·da exactly; 64 bits suffice for 12-h windows of 1-min
        // epochs, 128 bits cover the rest.
        let (na2, o1) = na.multipliedReportingOverflow(by: na)
        let (nb2, o2) = nb.multipliedReportingOverflow(by: nb)
        let (l1, o3) = na2.multipliedReportingOverflow(by: denominators[b])
        let (r1, o4) = nb2.multipliedReportingOverflow(by: denominators[a])
        let order: Int
        if !(o1 || o2 || o3 || o4) {
            order = l1 == r1 ? 0 : (l1 > r1 ? 1 : -1)
        } else {
            let lhs = Int128(na) * Int128(na) * Int128(denominators[b])
            let rhs = Int128(nb) * Int128(nb) * Int128(denominators[a])
            order = lhs == rhs ? 0 : (lhs > rhs ? 1 : -1)
        }
        return sa > 0 ? order : -order
    }
}
