/// The float32 forward pass (README §1): patch Dense + positional encoding, then L post-norm blocks.
extension PATModel {
    func forward(_ input: [Float]) -> [Float] {
        let n = numPatches
        let d = Self.embedDim
        let ws = EncoderWorkspace(numPatches: n, embedDim: d, numHeads: numHeads, ffDim: PATWeightsReader.ffDim)
        positionalEncoding.withUnsafeBufferPointer { ws.hidden.update(from: $0.baseAddress!, count: n * d) }
        // Patch n is input[n·P ..< (n+1)·P], so the input itself is the (N × P) matrix with row stride P.
        input.withUnsafeBufferPointer { x in
            Self.project(
                patchEmbed, columns: 0..<d, input: x.baseAddress!, rows: n, inputStride: patchSize,
                output: ws.hidden, outputStride: d, accumulate: true)
        }
        for block in blocks { runBlock(block, ws) }
        return Array(UnsafeBufferPointer(start: ws.hidden, count: n * d))
    }

    private func runBlock(_ block: PATBlockWeights, _ ws: EncoderWorkspace) {
        let n = numPatches
        let d = Self.embedDim
        let heads = numHeads
        let f = block.ff1.outputs
        for h in 0..<heads { attendHead(h, block, ws) }

        // U = LayerNorm1(H + O·Wo + bo)
        ws.residual.update(from: ws.hidden, count: n * d)
        Self.project(
            block.output, columns: 0..<d, input: ws.heads, rows: n, inputStride: heads * d,
            output: ws.residual, outputStride: d, accumulate: true)
        block.norm1.apply(to: ws.residual, rows: n, epsilon: Self.layerNormEpsilon)

        // H' = LayerNorm2(U + relu(U·W1 + b1)·W2 + b2)
        Self.project(
            block.ff1, columns: 0..<f, input: ws.residual, rows: n, inputStride: d,
            output: ws.feedForward, outputStride: f, accumulate: false)
        for i in 0..<(n * f) where ws.feedForward[i] < 0 { ws.feedForward[i] = 0 }
        ws.hidden.update(from: ws.residual, count: n * d)
        Self.project(
            block.ff2, columns: 0..<d, input: ws.feedForward, rows: n, inputStride: f,
            output: ws.hidden, outputStride: d, accumulate: true)
        block.norm2.apply(to: ws.hidden, rows: n, epsilon: Self.layerNormEpsilon)
    }

    /// Head `h` of Keras MultiHeadAttention (key_dim 96 per head), written into its 96 columns of `ws.heads`.
    private func attendHead(_ h: Int, _ block: PATBlockWeights, _ ws: EncoderWorkspace) {
        let n = numPatches
        let d = Self.embedDim
        let width = numHeads * d
        let columns = (h * d)..<((h + 1) * d)
        Self.project(
            block.query, columns: columns, input: ws.hidden, rows: n, inputStride: d,
            output: ws.query, outputStride: d, accumulate: false)
        Self.project(
            block.key, columns: columns, input: ws.hidden, rows: n, inputStride: d,
            output: ws.key, outputStride: d, accumulate: false)
        Self.project(
            block.value, columns: columns, input: ws.hidden, rows: n, inputStride: d,
            output: ws.value, outputStride: d, accumulate: false)
        // Keras scales the projected query (bias included) by 1/sqrt(key_dim) before the dot product.
        let scale = Float(1.0 / Double(d).squareRoot())
        for i in 0..<(n * d) { ws.query[i] *= scale }
        for i in 0..<n {
            for j in 0..<d { ws.keyTransposed[j * n + i] = ws.key[i * d + j] }
        }

        var start = 0
        while start < n {
            let rows = min(EncoderWorkspace.queryBlock, n - start)
            MatrixMultiply.multiply(
                m: rows, n: n, k: d, a: ws.query + start * d, lda: d,
                b: ws.keyTransposed, ldb: n, c: ws.scores, ldc: n,
                bias: nil, accumulate: false)
            for r in 0..<rows { VectorMath.softmaxInPlace(ws.scores + r * n, count: n) }
            MatrixMultiply.multiply(
                m: rows, n: d, k: n, a: ws.scores, lda: n, b: ws.value, ldb: d,
                c: ws.heads + start * width + h * d, ldc: width,
                bias: nil, accumulate: false)
            start += rows
        }
    }

    /// `output[:, 0..<columns.count] (+)= input · kernel[:, columns] + bias[columns]`.
    static func project(
        _ weights: DenseWeights, columns: Range<Int>, input: UnsafePointer<Float>, rows: Int, inputStride: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int, accumulate: Bool
    ) {
        weights.kernel.withUnsafeBufferPointer { kernel in
            weights.bias.withUnsafeBufferPointer { bias in
                MatrixMultiply.multiply(
                    m: rows, n: columns.count, k: weights.inputs,
                    a: input, lda: inputStride,
                    b: kernel.baseAddress! + columns.lowerBound, ldb: weights.outputs,
                    c: output, ldc: outputStride,
                    bias: bias.baseAddress! + columns.lowerBound, accumulate: accumulate)
            }
        }
    }
}

extension LayerNormWeights {
    func apply(to x: UnsafeMutablePointer<Float>, rows: Int, epsilon: Float) {
        gamma.withUnsafeBufferPointer { g in
            beta.withUnsafeBufferPointer { b in
                VectorMath.layerNormInPlace(
                    x, rows: rows, width: g.count, gamma: g.baseAddress!,
                    beta: b.baseAddress!, epsilon: epsilon)
            }
        }
    }
}
