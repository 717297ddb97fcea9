/// Scratch memory for one encoder call, allocated once per call so the hot loops never allocate.
///
/// Owned by a single call on a single thread and never shared, hence deliberately not Sendable.
final class EncoderWorkspace {
    /// Query rows whose attention scores are materialised at once: 32 × N floats (≤ 140 KB) stay in L2,
    /// unlike the full N × N matrix (5 MB per head for PAT-L).
    static let queryBlock = 32

    /// Current block input / output, N × 96.
    let hidden: UnsafeMutablePointer<Float>
    /// Residual sums before each LayerNorm, N × 96.
    let residual: UnsafeMutablePointer<Float>
    /// Heads concatenated head-major, N × (H·96).
    let heads: UnsafeMutablePointer<Float>
    /// One head's queries, keys and values, N × 96 each.
    let query: UnsafeMutablePointer<Float>
    let key: UnsafeMutablePointer<Float>
    let value: UnsafeMutablePointer<Float>
    /// One head's keys transposed, 96 × N, so scores are a plain row-major product.
    let keyTransposed: UnsafeMutablePointer<Float>
    /// Attention scores / probabilities for one query block, queryBlock × N.
    let scores: UnsafeMutablePointer<Float>
    /// Feed-forward hidden layer, N × FF.
    let feedForward: UnsafeMutablePointer<Float>

    private let allocations: [UnsafeMutablePointer<Float>]

    init(numPatches n: Int, embedDim d: Int, numHeads h: Int, ffDim f: Int) {
        func make(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
            p.initialize(repeating: 0, count: count)
            return p
        }
        hidden = make(n * d)
        residual = make(n * d)
        heads = make(n * h * d)
        query = make(n * d)
        key = make(n * d)
        value = make(n * d)
        keyTransposed = make(n * d)
        scores = make(Self.queryBlock * n)
        feedForward = make(n * f)
        allocations = [hidden, residual, heads, query, key, value, keyTransposed, scores, feedForward]
    }

    deinit {
        for p in allocations { p.deallocate() }
    }
}
