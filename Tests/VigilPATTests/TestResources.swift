import Foundation
import Testing

@testable import VigilPAT

/// Reference artifacts copied from the shared PAT reference folder (generated data, see its README).
enum TestResources {
    // `url(forResource:)` resolves the copied folder on both Linux and macOS bundle layouts.
    static let root = Bundle.module.url(forResource: "Resources", withExtension: nil)!.appendingPathComponent("pat")

    static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(relativePath)))
    }

    /// Raw little-endian float32 file.
    static func floats(_ relativePath: String) throws -> [Float] {
        let data = try bytes(relativePath)
        return stride(from: 0, to: data.count, by: 4).map { i in
            Float(bitPattern: UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24)
        }
    }

    /// The Keras embedding stored in `expected/<model>/<input>.embedding.json`.
    static func expectedEmbedding(model: String, input: String) throws -> [Float] {
        let data = try Data(contentsOf: url("expected/\(model)/\(input).embedding.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let values = try #require(object["embedding"] as? [Double])
        return values.map { Float($0) }
    }

    static func model(_ name: String) throws -> PATModel {
        try PATModel.load(contentsOf: url("\(name).safetensors"))
    }

    static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
