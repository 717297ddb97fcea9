/// Single-threaded float32 matrix product `C = A·B (+ bias) (+ C)` over row-major strided matrices.
///
/// The hot path is a 4-row × 16-column register tile: for each `k` it loads two 8-wide rows of `B`,
/// broadcasts four scalars of `A` and updates eight SIMD accumulators, so `C` is written once per tile
/// and `B`'s 16-column panel stays in L1 while the row tiles sweep down `A`.
enum MatrixMultiply {
    /// Computes `C[i, j] = Σ_p A[i, p]·B[p, j] + bias[j]` (plus the old `C[i, j]` when `accumulate`).
    ///
    /// - Parameters:
    ///   - m, n, k: `C` is m×n, `A` is m×k, `B` is k×n.
    ///   - lda, ldb, ldc: row strides in elements, so sub-matrices (one attention head's columns) need no copy.
    ///   - bias: n values added to every row, or nil.
    static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        bias: UnsafePointer<Float>?, accumulate: Bool
    ) {
        var j = 0
        while j + 16 <= n {
            var i = 0
            while i + 4 <= m {
                tile4x16(
                    k: k, a: a + i * lda, lda: lda, b: b + j, ldb: ldb, c: c + i * ldc + j, ldc: ldc,
                    bias: bias.map { $0 + j }, accumulate: accumulate)
                i += 4
            }
            while i < m {
                tile1x16(
                    k: k, a: a + i * lda, b: b + j, ldb: ldb, c: c + i * ldc + j,
                    bias: bias.map { $0 + j }, accumulate: accumulate)
                i += 1
            }
            j += 16
        }
        // Column remainder (not hit by PAT's widths 96/256/560/1120, kept for correctness on any shape).
        while j < n {
            for i in 0..<m {
                var sum: Float = 0
                for p in 0..<k { sum += a[i * lda + p] * b[p * ldb + j] }
                if let bias { sum += bias[j] }
                if accumulate { sum += c[i * ldc + j] }
                c[i * ldc + j] = sum
            }
            j += 1
        }
    }

    @inline(__always)
    private static func tile4x16(
        k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, accumulate: Bool
    ) {
        let c0 = c
        let c1 = c + ldc
        let c2 = c + 2 * ldc
        let c3 = c + 3 * ldc
        var s00 = SIMD8<Float>()
        var s01 = SIMD8<Float>()
        var s10 = SIMD8<Float>()
        var s11 = SIMD8<Float>()
        var s20 = SIMD8<Float>()
        var s21 = SIMD8<Float>()
        var s30 = SIMD8<Float>()
        var s31 = SIMD8<Float>()
        let a0 = a
        let a1 = a + lda
        let a2 = a + 2 * lda
        let a3 = a + 3 * lda
        var pb = b
        for p in 0..<k {
            let b0 = load8(pb)
            let b1 = load8(pb + 8)
            let x0 = SIMD8<Float>(repeating: a0[p])
            let x1 = SIMD8<Float>(repeating: a1[p])
            let x2 = SIMD8<Float>(repeating: a2[p])
            let x3 = SIMD8<Float>(repeating: a3[p])
            s00 += x0 * b0
            s01 += x0 * b1
            s10 += x1 * b0
            s11 += x1 * b1
            s20 += x2 * b0
            s21 += x2 * b1
            s30 += x3 * b0
            s31 += x3 * b1
            pb += ldb
        }
        if let bias {
            let q0 = load8(bias)
            let q1 = load8(bias + 8)
            s00 += q0
            s01 += q1
            s10 += q0
            s11 += q1
            s20 += q0
            s21 += q1
            s30 += q0
            s31 += q1
        }
        if accumulate {
            s00 += load8(c0)
            s01 += load8(c0 + 8)
            s10 += load8(c1)
            s11 += load8(c1 + 8)
            s20 += load8(c2)
            s21 += load8(c2 + 8)
            s30 += load8(c3)
            s31 += load8(c3 + 8)
        }
        store8(s00, c0)
        store8(s01, c0 + 8)
        store8(s10, c1)
        store8(s11, c1 + 8)
        store8(s20, c2)
        store8(s21, c2 + 8)
        store8(s30, c3)
        store8(s31, c3 + 8)
    }

    @inline(__always)
    private static func tile1x16(
        k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, accumulate: Bool
    ) {
        var s0 = SIMD8<Float>()
        var s1 = SIMD8<Float>()
        var pb = b
        for p in 0..<k {
            let x = SIMD8<Float>(repeating: a[p])
            s0 += x * load8(pb)
            s1 += x * load8(pb + 8)
            pb += ldb
        }
        if let bias {
            s0 += load8(bias)
            s1 += load8(bias + 8)
        }
        if accumulate {
            s0 += load8(c)
            s1 += load8(c + 8)
        }
        store8(s0, c)
        store8(s1, c + 8)
    }
}

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}
