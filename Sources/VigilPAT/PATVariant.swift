/// The three published PAT encoder sizes, told apart by patch size, heads and blocks.
public enum PATVariant: String, Sendable, CaseIterable {
    case small = "PAT-S"
    case medium = "PAT-M"
    case large = "PAT-L"

    /// Minutes per patch (P).
    public var patchSize: Int {
        switch self {
        case .small, .medium: 18
        case .large: 9
        }
    }

    /// Attention heads per block (H); each head has key_dim 96.
    public var numHeads: Int { self == .small ? 6 : 12 }

    /// Transformer blocks (L).
    public var numLayers: Int {
        switch self {
        case .small: 1
        case .medium: 2
        case .large: 4
        }
    }

    /// Patches per week, N = 10080 / P.
    public var numPatches: Int { PATModel.inputLength / patchSize }

    /// The variant with exactly this configuration, or nil.
    public init?(patchSize: Int, numHeads: Int, numLayers: Int) {
        guard
            let match = Self.allCases.first(where: {
                $0.patchSize == patchSize && $0.numHeads == numHeads && $0.numLayers == numLayers
            })
        else { return nil }
        self = match
    }
}
