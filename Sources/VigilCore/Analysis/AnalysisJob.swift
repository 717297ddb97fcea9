/// An asynchronous analysis of one subject's stored data, as stored and reported.
public struct AnalysisJob: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case patEmbedding = "pat_embedding"
        case actigraphyReport = "actigraphy_report"
    }

    public enum Status: String, Sendable, CaseIterable {
        case queued, running, succeeded, failed
    }

    /// Why a job failed, as the API reports it.
    public struct Failure: Sendable, Equatable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var id: String
    public var organization: String
    public var subject: SubjectID
    public var kind: Kind
    public var status: Status
    public var from: Timestamp?
    public var to: Timestamp?
    /// The request's `options` object, as canonical JSON.
    public var options: JSONValue
    public var result: JSONValue?
    public var failure: Failure?
    /// Runs started so far (a retry is a new attempt).
    public var attempts: Int
    /// Who asked, for the audit trail.
    public var requestedBy: String
    /// Microseconds since 1970.
    public var createdAt: Int64
    public var updatedAt: Int64
    /// Not run before this instant (retry backoff).
    public var notBefore: Int64

    public init(
        id: String, organization: String, subject: SubjectID, kind: Kind, status: Status = .queued, from: Timestamp?, to: Timestamp?,
        options: JSONValue, result: JSONValue? = nil, failure: Failure? = nil, attempts: Int = 0, requestedBy: String,
        createdAt: Int64, updatedAt: Int64, notBefore: Int64
    ) {
        self.id = id
        self.organization = organization
        self.subject = subject
        self.kind = kind
        self.status = status
        self.from = from
        self.to = to
        self.options = options
        self.result = result
        self.failure = failure
        self.attempts = attempts
        self.requestedBy = requestedBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.notBefore = notBefore
    }
}

/// Storage of analysis jobs. Claiming is atomic, so several workers (or nodes) never run one job twice
/// at the same time; a claim is a lease that expires, so a job whose worker died runs again.
public protocol AnalysisJobRepository: Sendable {
    /// Stores a new job and its audit event in one transaction, unless its requester or organisation
    /// already has `limits` unfinished jobs: then it throws `429 too_many_jobs` and stores nothing.
    func create(_ job: AnalysisJob, audit: AuditEvent, limits: JobQueueLimits) async throws
    func job(id: String) async throws -> AnalysisJob?
    /// Marks the next due queued job (or a running one whose lease expired) running for `owner`
    /// until `leaseUntil`, counts the attempt, and returns it. Organisations take turns: the due job of
    /// the organisation with the fewest running jobs goes first, then the oldest. A job whose lease
    /// expired after `maxClaims` claims (its worker died each time it ran it) is failed with
    /// `crashed_repeatedly` instead of being run again.
    func claimNext(now: Int64, owner: String, leaseUntil: Int64, maxClaims: Int) async throws -> AnalysisJob?
    /// Deletes jobs that finished (succeeded or failed) before `before`, with their results; returns how many.
    func deleteFinished(before: Int64) async throws -> Int
    /// Ends a job this owner holds: succeeded with a result, or failed with a failure.
    func finish(
        id: String, owner: String, status: AnalysisJob.Status, result: JSONValue?, failure: AnalysisJob.Failure?, now: Int64)
        async throws
    /// Puts a job this owner holds back in the queue, not to run before `notBefore`, keeping the last failure.
    func requeue(id: String, owner: String, notBefore: Int64, failure: AnalysisJob.Failure?, now: Int64) async throws
}

/// Caps on unfinished (queued or running) jobs, checked when a job is submitted.
public struct JobQueueLimits: Sendable, Equatable {
    public var perUser = 20
    public var perOrganization = 200

    public init(perUser: Int = 20, perOrganization: Int = 200) {
        self.perUser = perUser
        self.perOrganization = perOrganization
    }

    /// The answer when a cap is reached.
    public static func exceeded(_ what: String, limit: Int) -> VigilError {
        VigilError(
            .rateLimited, code: "too_many_jobs",
            message: "\(what) already has \(limit) unfinished analyses; wait for some to finish", retryAfterSeconds: 30)
    }
}
