import Logging
import ServiceLifecycle
import VigilCore
import VigilStorage

/// Deletes stream-outbox events older than the retention (`VIGIL_STREAM_RETENTION_DAYS`) every
/// `eventPruneInterval` (waiting on the injected clock). Ages are measured with `now`, the clock that
/// stamped the events. Every node may run it: deletes are idempotent.
struct OutboxJanitorService: Service {
    let log: SampleEventLog
    let clock: any JobClock
    let now: @Sendable () -> Int64
    let limits: RealtimeLimits
    let logger: Logger
    let ready: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await ready()
            while !Task.isCancelled {
                do { try await clock.sleep(forMicros: limits.eventPruneInterval) } catch { return }
                await prune()
            }
        }
    }

    func prune() async {
        do {
            let deleted = try await log.prune(committedBefore: now() - limits.eventRetention)
            if deleted > 0 { logger.info("pruned stream events", metadata: ["deleted": "\(deleted)"]) }
        } catch is CancellationError {
            return
        } catch {
            // The statements carry no health data, so the driver's full description is safe to log.
            logger.error("pruning stream events failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
