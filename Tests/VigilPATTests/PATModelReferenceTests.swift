import Foundation
import Testing

@testable import VigilPAT

/// Compares the Swift forward pass with TensorFlow 2.15 / Keras outputs on the synthetic reference weights.
@Suite("PAT encoder matches the Keras reference")
struct PATModelReferenceTests {
    /// README §7: assert ≤ 1e-4 absolute for embeddings and full outputs with the TF-style positional encoding.
    static let tolerance: Float = 1e-4
    static let models = ["pat_s_synthetic", "pat_m_synthetic", "pat_l_synthetic"]
    static let inputs = ["week_a_circadian_std", "week_b_zeros", "week_c_noise"]

    @Test(
        "variant and configuration are detected from tensor shapes",
        arguments: zip(
            models,
            [
                (PATVariant.small, 18, 6, 1, 560), (.medium, 18, 12, 2, 560), (.large, 9, 12, 4, 1120),
            ]))
    func detectsVariant(model name: String, expected: (PATVariant, Int, Int, Int, Int)) throws {
        let model = try TestResources.model(name)
        #expect(model.variant == expected.0)
        #expect(model.patchSize == expected.1)
        #expect(model.numHeads == expected.2)
        #expect(model.numLayers == expected.3)
        #expect(model.numPatches == expected.4)
    }

    @Test("96-d embedding matches Keras within 1e-4", arguments: models, inputs)
    func embeddingMatchesKeras(model name: String, input: String) throws {
        let model = try TestResources.model(name)
        let x = try TestResources.floats("inputs/\(input).bin")
        let expected = try TestResources.expectedEmbedding(model: name, input: input)
        let embedding = try model.embed(x)
        #expect(embedding.count == 96)
        let error = TestResources.maxAbsDifference(embedding, expected)
        print("max|Δ| embedding \(name) \(input): \(error)")
        #expect(error <= Self.tolerance)
    }

    @Test("full N×96 encoder output matches Keras within 1e-4", arguments: models)
    func encoderOutputMatchesKeras(model name: String) throws {
        let model = try TestResources.model(name)
        let x = try TestResources.floats("inputs/week_a_circadian_std.bin")
        let expected = try TestResources.floats("expected/\(name)/week_a_circadian_std.encoder_output.f32.bin")
        let output = try model.encode(x)
        #expect(output.count == model.numPatches * 96)
        #expect(expected.count == output.count)
        let error = TestResources.maxAbsDifference(output, expected)
        print("max|Δ| encoder_output \(name) week_a_circadian_std: \(error)")
        #expect(error <= Self.tolerance)
    }
}
