/// Reads the PAT tensors out of a safetensors file, checking every name and shape against the layout of
/// the reference converter (README §3) so a wrong or partial file fails at load time, not mid-inference.
struct PATWeightsReader {
    static let embedDim = 96
    static let ffDim = 256

    let file: SafeTensorsFile
    private(set) var consumed: Set<String> = []

    init(file: SafeTensorsFile) { self.file = file }

    /// Infers (P, H, L) from shapes: P = rows of the patch kernel, H = dim 1 of block 0's query kernel,
    /// L = number of distinct block indices.
    func detectVariant() throws(PATModelError) -> PATVariant {
        let patchShape = try shape(of: "patch_embed.kernel")
        guard patchShape.count == 2, patchShape[1] == Self.embedDim else {
            throw .wrongShape(
                name: "patch_embed.kernel", expected: [patchShape.first ?? 0, Self.embedDim],
                actual: patchShape)
        }
        let queryShape = try shape(of: "blocks.0.attn.query.kernel")
        guard queryShape.count == 3, queryShape[0] == Self.embedDim, queryShape[2] == Self.embedDim else {
            throw .wrongShape(
                name: "blocks.0.attn.query.kernel",
                expected: [Self.embedDim, queryShape.count > 1 ? queryShape[1] : 0, Self.embedDim],
                actual: queryShape)
        }
        let blockIndices = Set(
            file.tensors.keys.compactMap { name -> Int? in
                let parts = name.split(separator: ".")
                return parts.count > 2 && parts[0] == "blocks" ? Int(parts[1]) : nil
            })
        let layers = (blockIndices.max() ?? -1) + 1
        guard let variant = PATVariant(patchSize: patchShape[0], numHeads: queryShape[1], numLayers: layers) else {
            throw .unknownVariant(patchSize: patchShape[0], numHeads: queryShape[1], numLayers: layers)
        }
        return variant
    }

    /// The converter also records the configuration in `__metadata__`; when present it must agree with the
    /// shapes, so a hand-edited or mislabelled file is caught instead of silently trusted either way.
    func checkMetadata(against variant: PATVariant) throws(PATModelError) {
        let expected = [
            "patch_size": variant.patchSize, "num_heads": variant.numHeads, "num_layers": variant.numLayers,
            "embed_dim": Self.embedDim, "key_dim": Self.embedDim, "ff_dim": Self.ffDim,
        ]
        for (key, value) in expected.sorted(by: { $0.key < $1.key }) {
            guard let text = file.metadata[key] else { continue }
            guard Int(text) == value else {
                throw .malformedHeader("metadata \(key)=\(text) disagrees with the tensor shapes (\(value))")
            }
        }
    }

    mutating func dense(_ prefix: String, kernelShape: [Int], biasShape: [Int]) throws(PATModelError) -> DenseWeights {
        let kernel = try tensor("\(prefix).kernel", shape: kernelShape)
        let bias = try tensor("\(prefix).bias", shape: biasShape)
        return DenseWeights(kernel: kernel, bias: bias, inputs: kernel.count / bias.count, outputs: bias.count)
    }

    mutating func layerNorm(_ prefix: String) throws(PATModelError) -> LayerNormWeights {
        LayerNormWeights(
            gamma: try tensor("\(prefix).gamma", shape: [Self.embedDim]),
            beta: try tensor("\(prefix).beta", shape: [Self.embedDim]))
    }

    mutating func block(_ b: Int, heads: Int) throws(PATModelError) -> PATBlockWeights {
        let d = Self.embedDim
        let f = Self.ffDim
        let p = "blocks.\(b)"
        return PATBlockWeights(
            query: try dense("\(p).attn.query", kernelShape: [d, heads, d], biasShape: [heads, d]),
            key: try dense("\(p).attn.key", kernelShape: [d, heads, d], biasShape: [heads, d]),
            value: try dense("\(p).attn.value", kernelShape: [d, heads, d], biasShape: [heads, d]),
            output: try dense("\(p).attn.output", kernelShape: [heads, d, d], biasShape: [d]),
            norm1: try layerNorm("\(p).norm1"),
            ff1: try dense("\(p).ff1", kernelShape: [d, f], biasShape: [f]),
            ff2: try dense("\(p).ff2", kernelShape: [f, d], biasShape: [d]),
            norm2: try layerNorm("\(p).norm2"))
    }

    /// Fails on the first tensor (in name order) that no reader call asked for.
    func rejectUnconsumed() throws(PATModelError) {
        if let extra = file.tensors.keys.sorted().first(where: { !consumed.contains($0) }) {
            throw .unexpectedTensor(extra)
        }
    }

    private mutating func tensor(_ name: String, shape expected: [Int]) throws(PATModelError) -> [Float] {
        let actual = try shape(of: name)
        guard actual == expected else { throw .wrongShape(name: name, expected: expected, actual: actual) }
        consumed.insert(name)
        return try file.floats(name)
    }

    private func shape(of name: String) throws(PATModelError) -> [Int] {
        guard let info = file.tensors[name] else { throw .missingTensor(name) }
        return info.shape
    }
}
