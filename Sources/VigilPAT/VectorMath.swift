/// Vectorised float32 primitives for the encoder's row operations (softmax, layer norm).
enum VectorMath {
    /// 8-lane `exp` (Cephes `expf` scheme: x = n·ln2 + r, degree-6 polynomial on r, scale by 2ⁿ).
    ///
    /// Relative error ≈ 1e-7, far inside the 1e-4 tolerance; needed because softmax evaluates up to
    /// 60 M exponentials per PAT-L call and a scalar libm call per element would dominate the runtime.
    /// Inputs below −87.3 are clamped (result ≈ 1e-38, negligible next to a softmax sum ≥ 1).
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let lo = SIMD8<Float>(repeating: -87.33654)
        let hi = SIMD8<Float>(repeating: 88.72283)
        var x = x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi)
        // Adding 1.5·2²³ rounds to the nearest integer and leaves it in the low mantissa bits.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let t = x * 1.442_695_04 + magic
        let n = t - magic
        x = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var y = SIMD8<Float>(repeating: 1.987_569_15e-4)
        y = y * x + 1.398_199_95e-3
        y = y * x + 8.333_451_907e-3
        y = y * x + 4.166_579_589e-2
        y = y * x + 1.666_666_546e-1
        y = y * x + 5.000_000_12e-1
        y = y * (x * x) + x + 1
        let exponent = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let scale = unsafeBitCast((exponent &+ 127) &<< 23, to: SIMD8<Float>.self)
        return y * scale
    }

    /// Replaces `row[0..<count]` by its softmax (max-subtracted, so large scores cannot overflow).
    static func softmaxInPlace(_ row: UnsafeMutablePointer<Float>, count: Int) {
        let vectorCount = count & ~7
        var maxVector = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i < vectorCount {
            let v = load8(row + i)
            // `.replacing(with:where:)` inlines to a vector max; the generic `pointwiseMax` did not.
            maxVector = maxVector.replacing(with: v, where: v .> maxVector)
            i += 8
        }
        var rowMax = maxVector.max()
        for j in vectorCount..<count { rowMax = Swift.max(rowMax, row[j]) }

        let shift = SIMD8<Float>(repeating: rowMax)
        var sumVector = SIMD8<Float>()
        i = 0
        while i < vectorCount {
            let e = exp(load8(row + i) - shift)
            store8(e, row + i)
            sumVector += e
            i += 8
        }
        var sum = sumVector.sum()
        for j in vectorCount..<count {
            let e = exp(SIMD8<Float>(repeating: row[j] - rowMax))[0]
            row[j] = e
            sum += e
        }

        let inverse = SIMD8<Float>(repeating: 1 / sum)
        i = 0
        while i < vectorCount {
            store8(load8(row + i) * inverse, row + i)
            i += 8
        }
        for j in vectorCount..<count { row[j] *= inverse[0] }
    }

    /// Normalises each of `rows` rows of `width` values in place: (x − μ)/√(σ² + ε)·γ + β, population σ².
    static func layerNormInPlace(
        _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float
    ) {
        precondition(width % 8 == 0, "layer norm width must be a multiple of 8")
        let scale = 1 / Float(width)
        for r in 0..<rows {
            let row = x + r * width
            var sum = SIMD8<Float>()
            for j in stride(from: 0, to: width, by: 8) { sum += load8(row + j) }
            let mean = sum.sum() * scale
            let meanVector = SIMD8<Float>(repeating: mean)
            var squares = SIMD8<Float>()
            for j in stride(from: 0, to: width, by: 8) {
                let d = load8(row + j) - meanVector
                squares += d * d
            }
            let inverseStd = SIMD8<Float>(repeating: 1 / (squares.sum() * scale + epsilon).squareRoot())
            for j in stride(from: 0, to: width, by: 8) {
                let y = (load8(row + j) - meanVector) * inverseStd * load8(gamma + j) + load8(beta + j)
                store8(y, row + j)
            }
        }
    }
}
