import Testing

@testable import VigilPAT

@Suite("PATModel validates its input week")
struct PATModelInputTests {
    static let model = Result { try TestResources.model("pat_s_synthetic") }

    @Test("anything but 10080 values is invalidInputLength", arguments: [0, 1, 10079, 10081, 20160])
    func rejectsWrongLength(count: Int) throws {
        let model = try Self.model.get()
        let input = [Float](repeating: 0, count: count)
        #expect(throws: PATModelError.invalidInputLength(expected: 10080, actual: count)) { try model.embed(input) }
        #expect(throws: PATModelError.invalidInputLength(expected: 10080, actual: count)) { try model.encode(input) }
    }

    @Test(
        "NaN or infinity is nonFiniteInput at its index",
        arguments: [
            (0, Float.nan), (5000, .infinity), (10079, -.infinity),
        ])
    func rejectsNonFinite(index: Int, value: Float) throws {
        let model = try Self.model.get()
        var input = [Float](repeating: 0, count: 10080)
        input[index] = value
        #expect(throws: PATModelError.nonFiniteInput(index: index)) { try model.embed(input) }
    }

    @Test("the model is Sendable and gives identical results from concurrent tasks")
    func concurrentCallsAgree() async throws {
        let model = try Self.model.get()
        let input = try TestResources.floats("inputs/week_a_circadian_std.bin")
        let results = try await withThrowingTaskGroup(of: [Float].self) { group in
            for _ in 0..<2 { group.addTask { try model.embed(input) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 2 && results[0] == results[1])
    }
}
