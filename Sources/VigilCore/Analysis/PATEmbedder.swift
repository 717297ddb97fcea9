import Dispatch
import VigilPAT

/// The PAT model as an ``EmbeddingModel``. Inference is CPU-bound, so it runs on its own dispatch queue
/// instead of holding one of the few cooperative threads every request needs.
public struct PATEmbedder: EmbeddingModel {
    public let model: PATModel
    let queue = DispatchQueue(label: "vigil.pat-inference", qos: .utility, attributes: .concurrent)

    public init(model: PATModel) {
        self.model = model
    }

    public var variantName: String { model.variant.rawValue }

    public func embed(_ input: [Float]) async throws -> [Float] {
        try Task.checkCancellation()
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { () throws -> [Float] in try model.embed(input) })
            }
        }
    }
}

/// What the analysis jobs run with: the model (if any), cohort statistics (if any), and the clock.
public struct AnalysisRuntime: Sendable {
    public var model: (any EmbeddingModel)?
    public var cohort: (mean: [Double], std: [Double])?
    public var clock: any JobClock
    public var random: @Sendable () -> Double

    public init(
        model: (any EmbeddingModel)? = nil, cohort: (mean: [Double], std: [Double])? = nil, clock: any JobClock = SystemJobClock(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.model = model
        self.cohort = cohort
        self.clock = clock
        self.random = random
    }
}
