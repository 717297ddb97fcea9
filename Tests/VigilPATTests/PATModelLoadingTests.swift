import Foundation
import Testing

@testable import VigilPAT

/// Each defect is made by editing a copy of the PAT-S reference file and re-serialising it in memory.
@Suite("PATModel rejects files that are not a complete PAT encoder")
struct PATModelLoadingTests {
    static func referenceBuilder() throws -> SafeTensorsBuilder {
        try SafeTensorsBuilder(copying: SafeTensorsFile.load(contentsOf: TestResources.url("pat_s_synthetic.safetensors")))
    }

    @Test("round-tripping the reference tensors gives the same model output")
    func roundTripLoads() throws {
        let model = try PATModel(safetensors: try Self.referenceBuilder().bytes())
        #expect(model.variant == .small)
        let x = try TestResources.floats("inputs/week_c_noise.bin")
        #expect(try model.embed(x) == (try TestResources.model("pat_s_synthetic").embed(x)))
    }

    @Test(
        "a missing tensor is named",
        arguments: [
            "patch_embed.kernel", "patch_embed.bias", "blocks.0.attn.query.kernel", "blocks.0.attn.value.bias",
            "blocks.0.attn.output.kernel", "blocks.0.norm2.beta", "blocks.0.ff2.kernel",
        ])
    func rejectsMissingTensor(name: String) throws {
        var builder = try Self.referenceBuilder()
        builder.remove(name)
        #expect(throws: PATModelError.missingTensor(name)) { try PATModel(safetensors: builder.bytes()) }
    }

    @Test(
        "a wrongly shaped tensor reports expected and actual shapes",
        arguments: [
            ("blocks.0.ff1.kernel", [96, 255], [96, 256]),
            ("blocks.0.attn.output.kernel", [6, 96, 95], [6, 96, 96]),
            ("blocks.0.attn.key.bias", [576], [6, 96]),
            ("blocks.0.norm1.gamma", [95], [96]),
            ("patch_embed.bias", [97], [96]),
        ])
    func rejectsWrongShape(name: String, shape: [Int], expected: [Int]) throws {
        var builder = try Self.referenceBuilder()
        builder.update(name) { entry in
            entry.shape = shape
            entry.values = [Float](repeating: 0.5, count: shape.reduce(1, *))
        }
        #expect(throws: PATModelError.wrongShape(name: name, expected: expected, actual: shape)) {
            try PATModel(safetensors: builder.bytes())
        }
    }

    @Test("a patch kernel that is not (P, 96) is a wrongShape error")
    func rejectsBadPatchKernel() throws {
        var builder = try Self.referenceBuilder()
        builder.update("patch_embed.kernel") { $0.shape = [18, 48, 2] }
        #expect(throws: PATModelError.wrongShape(name: "patch_embed.kernel", expected: [18, 96], actual: [18, 48, 2])) {
            try PATModel(safetensors: builder.bytes())
        }
    }

    @Test("an extra block changes (P, H, L) to an unknown variant")
    func rejectsUnknownVariant() throws {
        var builder = try Self.referenceBuilder()
        builder.entries.append(.init(name: "blocks.1.norm1.gamma", shape: [96], values: [Float](repeating: 1, count: 96)))
        #expect(throws: PATModelError.unknownVariant(patchSize: 18, numHeads: 6, numLayers: 2)) {
            try PATModel(safetensors: builder.bytes())
        }
    }

    @Test("metadata that contradicts the shapes is rejected")
    func rejectsContradictoryMetadata() throws {
        var builder = try Self.referenceBuilder()
        builder.metadata["num_heads"] = "12"
        #expect(throws: PATModelError.malformedHeader("metadata num_heads=12 disagrees with the tensor shapes (6)")) {
            try PATModel(safetensors: builder.bytes())
        }
    }

    @Test("a tensor outside the layout is rejected")
    func rejectsUnexpectedTensor() throws {
        var builder = try Self.referenceBuilder()
        builder.entries.append(.init(name: "head.kernel", shape: [96, 1], values: [Float](repeating: 0, count: 96)))
        #expect(throws: PATModelError.unexpectedTensor("head.kernel")) { try PATModel(safetensors: builder.bytes()) }
    }

    @Test("a non-F32 tensor fails loading with unsupportedDType")
    func rejectsWrongDType() throws {
        var builder = try Self.referenceBuilder()
        builder.update("blocks.0.ff1.bias") {
            $0.dtype = "F16"
            $0.shape = [512]
        }
        #expect(throws: PATModelError.unsupportedDType(tensor: "blocks.0.ff1.bias", dtype: "F16")) {
            try PATModel(safetensors: builder.bytes())
        }
    }
}
