import VigilAnalytics
import VigilPAT

extension AnalysisExecutor {
    /// One week of minutes from `from`; at most this many may be missing (they are filled with 0, no activity).
    public static var maximumMissingMinutes: Int { 1_008 }
    static var week: Int64 { 7 * 86_400_000_000 }

    func patEmbedding(_ job: AnalysisJob, _ window: ActigraphyWindow) async throws(AnalysisError) -> JSONValue {
        guard let model else {
            throw AnalysisError(code: "model_not_configured", message: "this server has no PAT model (VIGIL_PAT_MODEL)", transient: false)
        }
        guard let from = job.from else {
            throw AnalysisError(code: "validation_failed", message: "pat_embedding needs from", transient: false)
        }
        let input: [Double]
        let missing: Int
        do {
            (input, missing) = try Self.week(window, from: from.microseconds)
        } catch {
            throw AnalysisError(code: error.code, message: error.message, transient: false)
        }
        let standardization: PATStandardization
        let choice: AnalysisOptions.Standardization
        do {
            choice = try AnalysisOptions.pat(job.options)
            switch choice {
            case .none: standardization = .none
            case .zscore: standardization = .zscore
            case .cohort:
                guard let cohort else {
                    throw AnalysisError(
                        code: "cohort_not_configured", message: "this server has no cohort statistics (VIGIL_PAT_COHORT)", transient: false)
                }
                standardization = .cohort(mean: cohort.mean, std: cohort.std)
            }
        } catch let error as AnalysisError {
            throw error
        } catch {
            throw AnalysisError(code: "validation_failed", message: "\(error)", transient: false)
        }
        let standardized: [Float]
        do {
            standardized = try PATInput.standardize(input, standardization)
        } catch {
            throw AnalysisError(code: "invalid_input", message: error.description, transient: false)
        }
        let embedding: [Float]
        do {
            embedding = try await model.embed(standardized)
        } catch is CancellationError {
            throw AnalysisError(code: "timeout", message: "the model did not answer in time", transient: true, modelFailure: true)
        } catch {
            throw AnalysisError(code: "model_error", message: "the model failed: \(error)", transient: true, modelFailure: true)
        }
        guard embedding.count == PATModel.embedDim, embedding.allSatisfy(\.isFinite) else {
            throw AnalysisError(
                code: "model_error", message: "the model returned an invalid embedding", transient: true, modelFailure: true)
        }
        return .object([
            "model": .string(model.variantName),
            // The shortest text of each Float, so a client parsing Float32 gets the exact value back.
            "embedding": .array(embedding.map { .number(Double("\($0)") ?? Double($0)) }),
            "standardization": .string(choice.rawValue),
            "missing_minutes": .integer(Int64(missing)),
            "week_start": .string(from.rfc3339),
        ])
    }

    /// The week's 10,080 minute counts from `from`, missing minutes as 0, and how many were missing.
    static func week(_ window: ActigraphyWindow, from: Int64) throws(VigilError) -> ([Double], Int) {
        let recording = window.recording
        guard recording.epochMicros == 60_000_000 else {
            throw VigilError(
                .validation, code: "invalid_epochs",
                message: "pat_embedding needs 1-minute epochs; these are \(JSONValue.format(recording.epochSeconds)) s")
        }
        let shift = window.firstEpoch.microseconds - from
        guard shift >= 0, shift % 60_000_000 == 0 else {
            throw VigilError(.validation, code: "irregular_epochs", message: "the epochs are not on whole minutes from `from`")
        }
        var values = [Double](repeating: .nan, count: PATModel.inputLength)
        let offset = Int(shift / 60_000_000)
        for (index, value) in recording.values.enumerated() where offset + index < values.count {
            values[offset + index] = value
        }
        let missing = values.count(where: \.isNaN)
        guard missing <= maximumMissingMinutes else {
            throw VigilError(
                .validation, code: "insufficient_data",
                message: "pat_embedding needs at least 9,072 of the week's 10,080 minutes; \(10_080 - missing) are stored",
                details: [ErrorDetail(index: nil, field: "pat_embedding", reason: "minimum: 9,072 minutes of the week")])
        }
        return (values.map { $0.isNaN ? 0 : $0 }, missing)
    }
}
