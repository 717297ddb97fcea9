import Foundation

/// The Pretrained Actigraphy Transformer encoder (Ruan et al. 2024, arXiv:2411.15240), inference only.
///
/// Immutable after loading, so one instance can serve concurrent requests. Each call runs single-threaded
/// on the caller's thread (no internal parallelism): a server gets throughput by running calls side by side.
/// Weights come from the PAT safetensors layout (README §3); the published Keras `.h5` files are converted
/// with `tools/pat_convert_h5.py`.
public struct PATModel: Sendable {
    /// Minutes in the one-week input.
    public static let inputLength = 10080
    /// Width of every token and of the embedding.
    public static let embedDim = 96
    static let layerNormEpsilon: Float = 1e-6

    /// The detected size (from tensor shapes).
    public let variant: PATVariant
    let patchEmbed: DenseWeights
    let blocks: [PATBlockWeights]
    /// (N × 96) table computed once per model, since N is fixed by the variant.
    let positionalEncoding: [Float]

    /// Minutes per patch (P).
    public var patchSize: Int { variant.patchSize }
    /// Attention heads per block (H).
    public var numHeads: Int { variant.numHeads }
    /// Transformer blocks (L).
    public var numLayers: Int { variant.numLayers }
    /// Tokens per week (N = 10080 / P); `encode` returns N × 96 values.
    public var numPatches: Int { variant.numPatches }

    /// Loads a PAT safetensors file (a few MB; read into memory once).
    public static func load(contentsOf url: URL) throws(PATModelError) -> PATModel {
        try PATModel(file: SafeTensorsFile.load(contentsOf: url))
    }

    /// Parses an in-memory PAT safetensors file.
    public init(safetensors data: [UInt8]) throws(PATModelError) {
        try self.init(file: SafeTensorsFile(bytes: data))
    }

    /// Builds the model from a validated file: detects the variant, then checks every tensor's shape and
    /// rejects tensors that do not belong to that variant.
    public init(file: SafeTensorsFile) throws(PATModelError) {
        var reader = PATWeightsReader(file: file)
        let variant = try reader.detectVariant()
        try reader.checkMetadata(against: variant)
        let d = Self.embedDim
        patchEmbed = try reader.dense("patch_embed", kernelShape: [variant.patchSize, d], biasShape: [d])
        var blocks: [PATBlockWeights] = []
        for b in 0..<variant.numLayers {
            blocks.append(try reader.block(b, heads: variant.numHeads))
        }
        try reader.rejectUnconsumed()
        self.variant = variant
        self.blocks = blocks
        self.positionalEncoding = PositionalEncoding.table(numPatches: variant.numPatches, embedDim: d)
    }

    /// Runs the encoder on one standardized week and returns its output, N × 96 row-major.
    ///
    /// - Parameter input: exactly 10080 finite values, already standardized (see `PATInput.standardize`).
    public func encode(_ input: [Float]) throws(PATModelError) -> [Float] {
        try Self.validate(input)
        return forward(input)
    }

    /// The 96-d embedding: the encoder output averaged over the N patches (Keras GlobalAveragePooling1D).
    ///
    /// - Parameter input: exactly 10080 finite values, already standardized (see `PATInput.standardize`).
    public func embed(_ input: [Float]) throws(PATModelError) -> [Float] {
        let output = try encode(input)
        let d = Self.embedDim
        let n = numPatches
        var sum = [Float](repeating: 0, count: d)
        for p in 0..<n {
            for j in 0..<d { sum[j] += output[p * d + j] }
        }
        return sum.map { $0 / Float(n) }
    }

    static func validate(_ input: [Float]) throws(PATModelError) {
        guard input.count == inputLength else {
            throw .invalidInputLength(expected: inputLength, actual: input.count)
        }
        if let bad = input.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteInput(index: bad) }
    }
}
