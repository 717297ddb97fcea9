/// A Keras `Dense` / `EinsumDense` layer flattened to `y = x·kernel + bias`, kernel row-major (inputs × outputs).
struct DenseWeights: Sendable {
    let kernel: [Float]
    let bias: [Float]
    let inputs: Int
    let outputs: Int
}

/// LayerNormalization scale and offset over the 96 features.
struct LayerNormWeights: Sendable {
    let gamma: [Float]
    let beta: [Float]
}

/// One post-norm transformer block.
///
/// Attention kernels keep Keras' layouts flattened: query/key/value (96, H·96) with head `h` in columns
/// `h·96 ..< (h+1)·96`, and output (H·96, 96), which equals concatenating the heads head-major.
struct PATBlockWeights: Sendable {
    let query: DenseWeights
    let key: DenseWeights
    let value: DenseWeights
    let output: DenseWeights
    let norm1: LayerNormWeights
    let ff1: DenseWeights
    let ff2: DenseWeights
    let norm2: LayerNormWeights
}
