import Foundation
import Testing
import VigilCore
import VigilPAT
import VigilServer

/// The real PAT encoder (synthetic PAT-S weights) behind the job API and the command line.
@Suite("PAT inference end to end", .serialized)
struct PATJobTests {
    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("VigilPATTests/Resources/pat")
    static var smallModel: URL { resources.appendingPathComponent("pat_s_synthetic.safetensors") }

    @Test("a PAT job on a stored week returns exactly the embedding of the same week computed directly", arguments: Backend.all)
    func realModel(backend: Backend) async throws {
        let model = try PATModel.load(contentsOf: Self.smallModel)
        try await ScratchDatabase.with(backend) { url in
            try await TestApp.run(backend, url: url, analysis: AnalysisRuntime(model: PATEmbedder(model: model))) { app in
                let (subject, token) = try await app.patient()
                try await ActigraphyEndpointTests.ingest(app, subject: subject, token: token, minutes: 7 * 1440)
                let created = try await app.submit(subject, AnalysisJobTests.week, token: token)
                #expect(created.status == .accepted)
                let id = try #require(try created.jsonObject()["id"] as? String)
                let job = try await app.waitForJob(id)
                #expect(job.status == .succeeded)
                let embedding = try #require(job.result?["embedding"])
                guard case .array(let values) = embedding else { throw Failure("no embedding array") }
                let week = (0..<10_080).map { ActigraphyEndpointTests.activity(minute: $0) }
                let direct = try model.embed(try PATInput.standardize(week, .zscore))
                #expect(values.count == 96)
                for (value, expected) in zip(values, direct) {
                    guard case .number(let number) = value else { throw Failure("not a number") }
                    #expect(Float(number) == expected)
                }
                #expect(job.result?["model"] == .string("PAT-S"))
            }
        }
    }

    @Test("vigil pat embed prints the Keras embedding of a reference week")
    func commandLine() async throws {
        let input = Self.resources.appendingPathComponent("inputs/week_a_circadian_std.bin")
        let floats = try Data(contentsOf: input).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("week-\(UUID().uuidString).csv")
        try ("minute,value\n" + floats.enumerated().map { "\($0.offset),\($0.element)" }.joined(separator: "\n")).write(
            to: csv, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: csv) }
        let result = try await VigilBinary.run([
            "pat", "embed", "--model", Self.smallModel.path, "--input", csv.path, "--standardize", "none",
        ])
        #expect(result.status == 0)
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let embedding = try #require(printed["embedding"] as? [Double])
        let expected =
            try #require(
                try JSONSerialization.jsonObject(
                    with: Data(
                        contentsOf: Self.resources.appendingPathComponent("expected/pat_s_synthetic/week_a_circadian_std.embedding.json")))
                    as? [String: Any])["embedding"] as? [Double]
        #expect(embedding.count == 96)
        for (value, want) in zip(embedding, expected ?? []) { #expect(abs(value - want) <= 1e-4) }
    }

    @Test("a truncated weights file is refused with a clear message, by the CLI and at server start")
    func truncatedModel() async throws {
        let bytes = try Data(contentsOf: Self.smallModel)
        let cut = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(UUID().uuidString).safetensors")
        try bytes.prefix(bytes.count / 2).write(to: cut)
        defer { try? FileManager.default.removeItem(at: cut) }
        let result = try await VigilBinary.run(["pat", "embed", "--model", cut.path, "--input", "/dev/null"], captureErrors: true)
        #expect(result.status != 0)
        #expect(result.output.contains("truncated"), "\(result.output)")
        var settings = VigilConfig.AnalysisSettings()
        settings.patModelPath = cut.path
        #expect {
            try AnalysisRuntime.load(settings, logger: .init(label: "test"))
        } throws: { error in
            "\(error)".contains("VIGIL_PAT_MODEL") && "\(error)".contains("truncated")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
