import VigilAnalytics

/// A model that turns one standardised week of minutes into an embedding (PAT, or a test double).
public protocol EmbeddingModel: Sendable {
    /// Shown in results, e.g. `PAT-M`.
    var variantName: String { get }
    func embed(_ input: [Float]) async throws -> [Float]
}

/// Why one run of a job failed. `transient` failures are retried with backoff; the others fail the job
/// at once. `modelFailure` marks failures of the model itself, which the circuit breaker counts.
public struct AnalysisError: Error, Sendable, Equatable {
    public var failure: AnalysisJob.Failure
    public var transient: Bool
    public var modelFailure: Bool

    public init(code: String, message: String, transient: Bool, modelFailure: Bool = false) {
        self.failure = .init(code: code, message: message)
        self.transient = transient
        self.modelFailure = modelFailure
    }
}

/// Runs one job against stored data: reads the window's `activity_count` epochs and computes the result.
public struct AnalysisExecutor<Repository: SampleRepository>: Sendable {
    public let samples: Repository
    public let model: (any EmbeddingModel)?
    /// Per-minute-of-week mean and standard deviation for `standardization: cohort`.
    public let cohort: (mean: [Double], std: [Double])?

    public init(samples: Repository, model: (any EmbeddingModel)?, cohort: (mean: [Double], std: [Double])?) {
        self.samples = samples
        self.model = model
        self.cohort = cohort
    }

    public func run(_ job: AnalysisJob) async throws(AnalysisError) -> JSONValue {
        let window: ActigraphyWindow
        do {
            let points = try await samples.series(
                subject: job.subject, type: .activityCount, from: job.from?.microseconds, to: job.to?.microseconds,
                limit: ActigraphyWindow.maximumEpochs + 1)
            window = try ActigraphyWindow.assemble(points)
        } catch let error as VigilError {
            if error.kind == .unavailable { throw AnalysisError(code: error.code, message: error.message, transient: true) }
            throw AnalysisError(code: error.code, message: error.message, transient: false)
        } catch {
            // A database that fails mid-read is worth another try.
            throw AnalysisError(code: "storage_error", message: "reading the samples failed", transient: true)
        }
        switch job.kind {
        case .actigraphyReport: return try actigraphyReport(job, window)
        case .patEmbedding: return try await patEmbedding(job, window)
        }
    }

    func actigraphyReport(_ job: AnalysisJob, _ window: ActigraphyWindow) throws(AnalysisError) -> JSONValue {
        do {
            let options = try AnalysisOptions.actigraphy(job.options)
            let report = try ActigraphyAnalysis.report(window.recording, settings: options.settings)
            let query = ActigraphyQuery(subject: job.subject, from: job.from, to: job.to)
            return ActigraphyJSON.report(report, window: window, query: query, includeScoring: options.includeScoring)
        } catch {
            throw AnalysisError(code: error.code, message: error.message, transient: false)
        }
    }
}
