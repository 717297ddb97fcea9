import Foundation
import Testing

@testable import VigilPAT

@Suite("SafeTensorsFile parsing and validation")
struct SafeTensorsFileTests {
    @Test("a valid file exposes metadata, shapes and little-endian values")
    func parsesValidFile() throws {
        var builder = SafeTensorsBuilder(entries: [
            .init(name: "a", shape: [2, 2], values: [1, -2, 3.5, 0]),
            .init(name: "b", shape: [3], values: [7, 8, 9]),
        ])
        builder.metadata["patch_size"] = "18"
        let file = try SafeTensorsFile(bytes: builder.bytes())
        #expect(file.metadata["patch_size"] == "18")
        #expect(file.tensors["a"]?.shape == [2, 2])
        #expect(try file.floats("a") == [1, -2, 3.5, 0])
        #expect(try file.floats("b") == [7, 8, 9])
    }

    @Test("the shipped PAT-S file parses with all 18 tensors")
    func parsesReferenceFile() throws {
        let file = try SafeTensorsFile.load(contentsOf: TestResources.url("pat_s_synthetic.safetensors"))
        #expect(file.tensors.count == 18)
        #expect(file.metadata["format"] == "pat-encoder-safetensors-v1")
    }

    static let malformedHeaders: [(String, [UInt8])] = [
        ("not JSON", SafeTensorsBuilder.assemble(header: "{not json")),
        ("JSON array", SafeTensorsBuilder.assemble(header: "[1,2]")),
        ("entry without shape", SafeTensorsBuilder.assemble(header: #"{"x":{"dtype":"F32","data_offsets":[0,0]}}"#)),
        ("reversed offsets", SafeTensorsBuilder.assemble(header: #"{"x":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#)),
        ("metadata not strings", SafeTensorsBuilder.assemble(header: #"{"__metadata__":{"a":1}}"#)),
        ("absurd header length", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x7B, 0x7D]),
        ("zero header length", [0, 0, 0, 0, 0, 0, 0, 0]),
    ]

    @Test("malformed headers are rejected as malformedHeader", arguments: malformedHeaders)
    func rejectsMalformedHeader(label: String, bytes: [UInt8]) {
        let error = #expect(throws: PATModelError.self) { try SafeTensorsFile(bytes: bytes) }
        guard case .malformedHeader = error else {
            Issue.record("\(label): expected malformedHeader, got \(String(describing: error))")
            return
        }
    }

    @Test("cutting the file anywhere yields truncatedFile", arguments: [0, 5, 8, 100, 1_000, 600_000, 1_102_399])
    func rejectsTruncatedFile(keptBytes: Int) throws {
        let bytes = try TestResources.bytes("pat_s_synthetic.safetensors")
        let error = #expect(throws: PATModelError.self) { try SafeTensorsFile(bytes: Array(bytes.prefix(keptBytes))) }
        guard case .truncatedFile = error else {
            Issue.record("kept \(keptBytes): expected truncatedFile, got \(String(describing: error))")
            return
        }
    }

    @Test("a non-F32 dtype is rejected as unsupportedDType")
    func rejectsOtherDType() {
        var builder = SafeTensorsBuilder(entries: [.init(name: "h", shape: [2], values: [1, 2])])
        builder.update("h") {
            $0.dtype = "F16"
            $0.shape = [4]
        }
        #expect(throws: PATModelError.unsupportedDType(tensor: "h", dtype: "F16")) {
            try SafeTensorsFile(bytes: builder.bytes())
        }
    }

    @Test("byte range disagreeing with the shape is rejected")
    func rejectsShapeSizeMismatch() {
        let bytes = SafeTensorsBuilder.assemble(
            header: #"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8))
        let error = #expect(throws: PATModelError.self) { try SafeTensorsFile(bytes: bytes) }
        #expect(error == .invalidTensorData(tensor: "x", reason: "byte range 0..<8 does not hold shape [3] of F32"))
    }

    @Test("overlapping tensors are rejected")
    func rejectsOverlap() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let bytes = SafeTensorsBuilder.assemble(header: header, data: [UInt8](repeating: 0, count: 12))
        #expect(throws: PATModelError.invalidTensorData(tensor: "b", reason: "bytes overlap tensor 'a'")) {
            try SafeTensorsFile(bytes: bytes)
        }
    }

    @Test("a missing file is reported with its path")
    func reportsUnreadableFile() {
        let error = #expect(throws: PATModelError.self) {
            try SafeTensorsFile.load(contentsOf: URL(fileURLWithPath: "/nonexistent/pat.safetensors"))
        }
        guard case .fileUnreadable(let path, _) = error else {
            Issue.record("expected fileUnreadable, got \(String(describing: error))")
            return
        }
        #expect(path == "/nonexistent/pat.safetensors")
    }

    @Test("errors read as sentences")
    func describesErrors() {
        let error = PATModelError.wrongShape(name: "patch_embed.kernel", expected: [18, 96], actual: [18, 95])
        #expect(error.description == "tensor 'patch_embed.kernel' has shape [18, 95], expected [18, 96]")
        #expect(error.errorDescription == error.description)
    }
}
