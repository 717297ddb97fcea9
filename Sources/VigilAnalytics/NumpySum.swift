/// Summation in the orders numpy and pandas use, so that results match pyActigraphy to the last bit
/// wherever the order is known.
enum NumpySum {
    /// numpy's `add.reduce` on a contiguous float64 array: pairwise summation (blocks of 8 accumulators,
    /// halved above 128 elements). With it every reference metric matches pyActigraphy to 0 ulp.
    static func sum(_ values: UnsafeBufferPointer<Double>) -> Double {
        guard let base = values.baseAddress, values.count > 0 else { return 0 }
        return pairwise(base, values.count)
    }

    static func sum(_ values: [Double]) -> Double {
        values.withUnsafeBufferPointer { sum($0) }
    }

    private static func pairwise(_ a: UnsafePointer<Double>, _ n: Int) -> Double {
        if n < 8 {
            var res = 0.0
            for i in 0..<n { res += a[i] }
            return res
        } else if n <= 128 {
            var r0 = a[0]
            var r1 = a[1]
            var r2 = a[2]
            var r3 = a[3]
            var r4 = a[4]
            var r5 = a[5]
            var r6 = a[6]
            var r7 = a[7]
            var i = 8
            while i < n - (n % 8) {
                r0 += a[i]
                r1 += a[i + 1]
                r2 += a[i + 2]
                r3 += a[i + 3]
                r4 += a[i + 4]
                r5 += a[i + 5]
                r6 += a[i + 6]
                r7 += a[i + 7]
                i += 8
            }
            var res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
            while i < n {
                res += a[i]
                i += 1
            }
            return res
        } else {
            var n2 = n / 2
            n2 -= n2 % 8
            return pairwise(a, n2) + pairwise(a + n2, n - n2)
        }
    }

    /// pandas `Series.mean()` (nanmean): NaN → 0 in the sum, divided by the non-NaN count.
    static func nanMean(_ values: [Double]) -> Double {
        var filled = values
        var count = 0
        for i in filled.indices {
            if filled[i].isNaN { filled[i] = 0 } else { count += 1 }
        }
        guard count > 0 else { return .nan }
        return sum(filled) / Double(count)
    }

    /// pandas `Series.var()` (nanvar, ddof = 1): mean about the non-NaN values, squared deviations
    /// with NaN positions zeroed, both summed pairwise.
    static func nanVariance(_ values: [Double]) -> Double {
        var filled = values
        var count = 0
        for i in filled.indices {
            if filled[i].isNaN { filled[i] = 0 } else { count += 1 }
        }
        guard count > 1 else { return .nan }
        let mean = sum(filled) / Double(count)
        var squares = values
        for i in squares.indices {
            let v = squares[i]
            squares[i] = v.isNaN ? 0 : (mean - v) * (mean - v)
        }
        return sum(squares) / Double(count - 1)
    }
}

/// Kahan (compensated) summation as in pandas' group sums and means; NaNs are skipped.
struct KahanSum {
    private(set) var sum = 0.0
    private var compensation = 0.0
    private(set) var count = 0

    @inline(__always)
    mutating func add(_ v: Double) {
        guard !v.isNaN else { return }
        let y = v - compensation
        let t = sum + y
        compensation = (t - sum) - y
        sum = t
        count += 1
    }

    /// Mean of the added values, NaN when there are none.
    var mean: Double { count == 0 ? .nan : sum / Double(count) }
}
