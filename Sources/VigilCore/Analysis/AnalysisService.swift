import Foundation

/// Submitting analyses and reading their status. The same access as reading the subject's samples;
/// submissions are audited as `analysis.create`, status reads as `analysis.read`.
public struct AnalysisService: Sendable {
    public let jobs: any AnalysisJobRepository
    public let access: AccessControl
    /// Whether PAT embeddings can run here (a model is configured), and the breaker guarding it.
    public let modelConfigured: Bool
    public let cohortConfigured: Bool
    public let breaker: CircuitBreaker
    /// Called after a job is stored, to wake the worker.
    public let submitted: @Sendable () -> Void
    /// Caps on unfinished jobs per user and per organisation.
    public let limits: JobQueueLimits
    static let resourceType = "Observation"

    public init(
        jobs: any AnalysisJobRepository, access: AccessControl, modelConfigured: Bool, cohortConfigured: Bool, breaker: CircuitBreaker,
        limits: JobQueueLimits = JobQueueLimits(), submitted: @escaping @Sendable () -> Void = {}
    ) {
        self.jobs = jobs
        self.limits = limits
        self.access = access
        self.modelConfigured = modelConfigured
        self.cohortConfigured = cohortConfigured
        self.breaker = breaker
        self.submitted = submitted
    }

    public static let notFound = VigilError(.notFound, code: "not_found", message: "analysis not found")

    /// `{"kind", "from"?, "to"?, "options"?}` → a queued job.
    public func submit(_ body: JSONValue, subject: SubjectID, by request: AccessRequest) async throws -> AnalysisJob {
        let organization = try await access.authorize(
            request, .readSamples, subject: subject, auditAs: .analysisCreate, resourceType: Self.resourceType)
        let (kind, from, to, options) = try Self.parse(body)
        switch kind {
        case .patEmbedding:
            guard modelConfigured else {
                throw VigilError(
                    .conflict, code: "model_not_configured",
                    message: "PAT embeddings need a model: start the server with VIGIL_PAT_MODEL set to a .safetensors file")
            }
            guard let from, let to, to.microseconds - from.microseconds == 7 * 86_400_000_000 else {
                throw VigilError(
                    .validation, code: "validation_failed", message: "pat_embedding needs from and to exactly one week (7 days) apart",
                    details: [ErrorDetail(index: nil, field: "to", reason: "must be from + 7 days")])
            }
            if try AnalysisOptions.pat(options) == .cohort, !cohortConfigured {
                throw VigilError(
                    .conflict, code: "cohort_not_configured",
                    message: "standardization cohort needs per-minute statistics: start the server with VIGIL_PAT_COHORT set")
            }
            if let wait = await breaker.retryAfter() {
                let seconds = Int((wait + 999_999) / 1_000_000)
                throw VigilError(
                    .unavailable, code: "model_unavailable",
                    message: "the PAT model failed repeatedly; new embeddings are refused for \(seconds) s", retryAfterSeconds: seconds)
            }
        case .actigraphyReport:
            _ = try AnalysisOptions.actigraphy(options)
        }
        let now = access.nowMicroseconds
        let job = AnalysisJob(
            id: UUID().uuidString.lowercased(), organization: organization, subject: subject, kind: kind, from: from, to: to,
            options: options, requestedBy: request.identity.username.value, createdAt: now, updatedAt: now, notBefore: now)
        try await jobs.create(
            job,
            audit: request.event(
                .analysisCreate, resourceType: Self.resourceType, subject: subject.value, count: 1, outcome: .success, at: now),
            limits: limits)
        submitted()
        return job
    }

    /// A job the caller may see (it may read the job's subject); otherwise the same `404` as an unknown id.
    public func status(id: String, by request: AccessRequest) async throws -> AnalysisJob {
        guard let job = try await jobs.job(id: id), job.organization == request.identity.organization else { throw Self.notFound }
        do {
            try await access.authorize(request, .readSamples, subject: job.subject, auditAs: .analysisRead, resourceType: Self.resourceType)
        } catch let error as VigilError where error.kind == .notFound {
            throw Self.notFound
        }
        try await access.audit.record(
            request.event(
                .analysisRead, resourceType: Self.resourceType, subject: job.subject.value, count: job.result == nil ? 0 : 1,
                outcome: .success,
                at: access.nowMicroseconds))
        return job
    }

    static func parse(_ body: JSONValue) throws(VigilError) -> (AnalysisJob.Kind, Timestamp?, Timestamp?, JSONValue) {
        guard case .object(let members) = body else { throw invalid("body", "the body must be a JSON object") }
        guard case .string(let name)? = members["kind"], let kind = AnalysisJob.Kind(rawValue: name) else {
            throw invalid("kind", "kind must be one of: " + AnalysisJob.Kind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var bounds = [Timestamp?]()
        for field in ["from", "to"] {
            switch members[field] {
            case nil, .null?: bounds.append(nil)
            case .string(let text)?:
                guard let instant = try? Timestamp(rfc3339: text) else { throw invalid(field, "\(field) must be an RFC 3339 timestamp") }
                bounds.append(instant)
            default: throw invalid(field, "\(field) must be an RFC 3339 timestamp")
            }
        }
        if let from = bounds[0], let to = bounds[1], to.microseconds <= from.microseconds { throw invalid("to", "to must be after from") }
        if let from = bounds[0], let to = bounds[1], to.microseconds - from.microseconds > ActigraphyWindow.maximumDays * 86_400_000_000 {
            throw invalid("to", "from and to may be at most \(ActigraphyWindow.maximumDays) days apart")
        }
        for key in members.keys.sorted() where !["kind", "from", "to", "options"].contains(key) {
            throw invalid(key, "unknown field \(key); an analysis takes kind, from, to and options")
        }
        let options = members["options"] ?? .object([:])
        guard case .object = options else { throw invalid("options", "options must be an object") }
        return (kind, bounds[0], bounds[1], options)
    }

    static func invalid(_ field: String, _ message: String) -> VigilError {
        VigilError(
            .validation, code: "validation_failed", message: message, details: [ErrorDetail(index: nil, field: field, reason: message)])
    }
}
