import Logging
import ServiceLifecycle
import VigilCore
import VigilStorage

/// Runs the ``AnalysisWorker`` as a service: runs due jobs whenever one is submitted, and at least once a
/// second (for retries whose backoff has passed and leases that expired). On graceful shutdown it stops
/// claiming and lets the jobs in flight finish; a job cut short by a crash runs again when its lease expires.
final class AnalysisWorkerService: Service {
    let worker: AnalysisWorker<SQLSampleRepository>
    let clock: any JobClock
    let napper = Napper()
    /// Opened once migrations have run (the jobs table exists).
    let startup: StartupGate
    /// Finished jobs older than this are deleted (checked every `retentionCheckMicros`).
    let jobs: any AnalysisJobRepository
    let retentionMicros: Int64
    let retentionCheckMicros: Int64 = 600_000_000
    let logger: Logger

    init(
        worker: AnalysisWorker<SQLSampleRepository>, jobs: any AnalysisJobRepository, clock: any JobClock, startup: StartupGate,
        retentionMicros: Int64, logger: Logger
    ) {
        self.worker = worker
        self.jobs = jobs
        self.clock = clock
        self.startup = startup
        self.retentionMicros = retentionMicros
        self.logger = logger
    }

    /// Deletes finished jobs past their retention; a database that cannot answer is tried again later.
    func deleteExpiredJobs() async {
        do {
            let deleted = try await jobs.deleteFinished(before: clock.nowMicros - retentionMicros)
            if deleted > 0 { logger.info("deleted finished analysis jobs past their retention", metadata: ["count": "\(deleted)"]) }
        } catch {
            logger.warning("deleting finished analysis jobs failed", metadata: ["error": "\(error)"])
        }
    }

    /// Asks the loop to look for due jobs now.
    func wakeUp() {
        Task { await napper.wake() }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            await startup.wait()
            var nextRetention = clock.nowMicros
            while !Task.isCancelled {
                if clock.nowMicros >= nextRetention {
                    await deleteExpiredJobs()
                    nextRetention = clock.nowMicros + retentionCheckMicros
                }
                await worker.runDue()
                await napper.nap(clock, micros: 1_000_000)
            }
        }
    }
}

/// A sleep that ``wake()`` cuts short (or skips, when the wake-up came first).
actor Napper {
    private var current: Task<Void, Never>?
    private var pending = false

    func nap(_ clock: any JobClock, micros: Int64) async {
        if pending {
            pending = false
            return
        }
        let sleeper = Task<Void, Never> { _ = try? await clock.sleep(forMicros: micros) }
        current = sleeper
        await withTaskCancellationHandler {
            await sleeper.value
        } onCancel: {
            sleeper.cancel()
        }
        current = nil
    }

    func wake() {
        if let current { current.cancel() } else { pending = true }
    }
}
