import Logging

/// Runs queued analysis jobs: claims due jobs (a lease, so a job whose process died runs again), at most
/// `concurrency` at once, each within `timeoutMicros`; retries transient failures with exponential
/// backoff and jitter up to ``RetryPolicy/maxAttempts``; guards the model with a ``CircuitBreaker``.
/// Every failure is logged with the job id, counted, and stored in the job.
public actor AnalysisWorker<Repository: SampleRepository> {
    public struct Counters: Sendable, Equatable {
        public var succeeded = 0
        public var failed = 0
        public var retried = 0
        public var timedOut = 0
        public var refusedByBreaker = 0
    }

    let jobs: any AnalysisJobRepository
    let executor: AnalysisExecutor<Repository>
    public let breaker: CircuitBreaker
    let clock: any JobClock
    let retry: RetryPolicy
    let timeoutMicros: Int64
    let concurrency: Int
    let owner: String
    let logger: Logger
    let random: @Sendable () -> Double
    public private(set) var counters = Counters()

    public init(
        jobs: any AnalysisJobRepository, executor: AnalysisExecutor<Repository>, breaker: CircuitBreaker, clock: any JobClock,
        retry: RetryPolicy = RetryPolicy(), timeoutMicros: Int64 = 120_000_000, concurrency: Int = 2, owner: String, logger: Logger,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.jobs = jobs
        self.executor = executor
        self.breaker = breaker
        self.clock = clock
        self.retry = retry
        self.timeoutMicros = timeoutMicros
        self.concurrency = max(1, concurrency)
        self.owner = owner
        self.logger = logger
        self.random = random
    }

    /// How long a claim lasts: the timeout plus a margin for storing the outcome.
    var leaseMicros: Int64 { timeoutMicros + 30_000_000 }

    /// Claims and runs due jobs, `concurrency` at a time, until none is due; returns how many ran.
    @discardableResult
    public func runDue() async -> Int {
        var ran = 0
        await withTaskGroup(of: Void.self) { group in
            var active = 0
            while true {
                while active < concurrency, let job = await claim() {
                    active += 1
                    ran += 1
                    group.addTask { await self.process(job) }
                }
                guard active > 0 else { break }
                await group.next()
                active -= 1
            }
        }
        return ran
    }

    func claim() async -> AnalysisJob? {
        let now = clock.nowMicros
        do {
            return try await jobs.claimNext(now: now, owner: owner, leaseUntil: now + leaseMicros, maxClaims: retry.maxAttempts)
        } catch is CancellationError {
            return nil
        } catch {
            logger.error("claiming an analysis job failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    func process(_ job: AnalysisJob) async {
        let usesModel = job.kind == .patEmbedding
        if usesModel, !(await breaker.acquire()) {
            counters.refusedByBreaker += 1
            let wait = await breaker.retryAfter() ?? 1_000_000
            await store(job) {
                try await $0.requeue(
                    id: job.id, owner: self.owner, notBefore: self.clock.nowMicros + wait, failure: job.failure, now: self.clock.nowMicros)
            }
            return
        }
        switch await withTimeout(job) {
        case .success(let result):
            if usesModel { await breaker.recordSuccess() }
            counters.succeeded += 1
            logger.info(
                "analysis job succeeded", metadata: ["job_id": "\(job.id)", "kind": "\(job.kind.rawValue)", "attempt": "\(job.attempts)"])
            await store(job) {
                try await $0.finish(
                    id: job.id, owner: self.owner, status: .succeeded, result: result, failure: nil, now: self.clock.nowMicros)
            }
        case .failure(let error):
            if usesModel { error.modelFailure ? await breaker.recordFailure() : await breaker.recordSuccess() }
            if error.failure.code == "timeout" { counters.timedOut += 1 }
            let metadata: Logger.Metadata = [
                "job_id": "\(job.id)", "kind": "\(job.kind.rawValue)", "attempt": "\(job.attempts)", "code": "\(error.failure.code)",
            ]
            if error.transient, job.attempts < retry.maxAttempts {
                counters.retried += 1
                let delay = retry.delay(afterAttempt: job.attempts, random: random())
                logger.warning("analysis job failed, will retry", metadata: metadata.merging(["retry_in_ms": "\(delay / 1000)"]) { $1 })
                await store(job) {
                    try await $0.requeue(
                        id: job.id, owner: self.owner, notBefore: self.clock.nowMicros + delay, failure: error.failure,
                        now: self.clock.nowMicros)
                }
            } else {
                counters.failed += 1
                logger.error("analysis job failed", metadata: metadata.merging(["message": "\(error.failure.message)"]) { $1 })
                await store(job) {
                    try await $0.finish(
                        id: job.id, owner: self.owner, status: .failed, result: nil, failure: error.failure, now: self.clock.nowMicros)
                }
            }
        }
    }

    /// Runs the job, or fails with a transient `timeout` when the clock passes the per-job timeout first.
    /// (Cancellation reaches the job at its next suspension point; CPU-bound inference finishes its call.)
    func withTimeout(_ job: AnalysisJob) async -> Result<JSONValue, AnalysisError> {
        let outcome: Result<JSONValue, AnalysisError>? = await withTaskGroup(of: Result<JSONValue, AnalysisError>?.self) { group in
            group.addTask { [executor] in
                do throws(AnalysisError) { return .success(try await executor.run(job)) } catch { return .failure(error) }
            }
            group.addTask { [clock, timeoutMicros] in
                do { try await clock.sleep(forMicros: timeoutMicros) } catch { return nil }
                return .failure(
                    AnalysisError(
                        code: "timeout", message: "the analysis took longer than \(timeoutMicros / 1_000_000) s", transient: true,
                        modelFailure: true))
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        return outcome ?? .failure(AnalysisError(code: "cancelled", message: "the worker stopped", transient: true))
    }

    /// Writes an outcome; a failure to store it leaves the lease to expire, and the job runs again.
    func store(_ job: AnalysisJob, _ write: @Sendable (any AnalysisJobRepository) async throws -> Void) async {
        do {
            try await write(jobs)
        } catch {
            logger.error("storing an analysis job's outcome failed", metadata: ["job_id": "\(job.id)", "error": "\(error)"])
        }
    }
}
