import Foundation

/// Everything that can go wrong when loading PAT weights, preparing an input week or running the encoder.
///
/// Each case carries enough context to be logged as-is; `description` is the human-readable form.
public enum PATModelError: Error, Equatable, Sendable {
    /// The weights file could not be read from disk.
    case fileUnreadable(path: String, reason: String)
    /// The file ends before the header or a tensor's data does.
    case truncatedFile(String)
    /// The header length or JSON is not a valid safetensors header.
    case malformedHeader(String)
    /// A tensor uses a dtype other than `F32`.
    case unsupportedDType(tensor: String, dtype: String)
    /// A tensor's byte range is out of bounds, overlaps another tensor or disagrees with its shape.
    case invalidTensorData(tensor: String, reason: String)
    /// A tensor the encoder needs is absent.
    case missingTensor(String)
    /// The file holds a tensor that is not part of the PAT encoder layout.
    case unexpectedTensor(String)
    /// A tensor has a shape other than the one the detected architecture requires.
    case wrongShape(name: String, expected: [Int], actual: [Int])
    /// Patch size, heads and blocks do not match PAT-S, PAT-M or PAT-L.
    case unknownVariant(patchSize: Int, numHeads: Int, numLayers: Int)
    /// An input week or statistics vector has the wrong number of values.
    case invalidInputLength(expected: Int, actual: Int)
    /// An input value is NaN or infinite.
    case nonFiniteInput(index: Int)
    /// Cohort standardization statistics are unusable (bad CSV, negative or non-finite std, …).
    case invalidCohortStatistics(String)
}

extension PATModelError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case .fileUnreadable(let path, let reason):
            "cannot read PAT weights at \(path): \(reason)"
        case .truncatedFile(let detail):
            "truncated safetensors file: \(detail)"
        case .malformedHeader(let detail):
            "malformed safetensors header: \(detail)"
        case .unsupportedDType(let tensor, let dtype):
            "tensor '\(tensor)' has dtype \(dtype); only F32 is supported"
        case .invalidTensorData(let tensor, let reason):
            "tensor '\(tensor)' has invalid data: \(reason)"
        case .missingTensor(let name):
            "required tensor '\(name)' is missing"
        case .unexpectedTensor(let name):
            "tensor '\(name)' is not part of the PAT encoder layout"
        case .wrongShape(let name, let expected, let actual):
            "tensor '\(name)' has shape \(actual), expected \(expected)"
        case .unknownVariant(let patchSize, let numHeads, let numLayers):
            "patch size \(patchSize), \(numHeads) heads, \(numLayers) blocks matches none of PAT-S/M/L"
        case .invalidInputLength(let expected, let actual):
            "expected \(expected) values, got \(actual)"
        case .nonFiniteInput(let index):
            "input value at index \(index) is NaN or infinite"
        case .invalidCohortStatistics(let detail):
            "invalid cohort statistics: \(detail)"
        }
    }

    public var errorDescription: String? { description }
}
