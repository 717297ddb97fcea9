import Logging
import ServiceLifecycle
import VigilCore

/// Group commit for audit events. Requests hand their events to ``record(_:)`` and wait; the writer
/// commits everything that queued up while the previous transaction ran in one new transaction, then
/// resumes all of those requests. Under load many requests share one commit; when idle an event is
/// committed at once. On graceful shutdown it drains the queue before returning, and afterwards
/// writes directly, so no event is ever dropped.
public actor AuditWriter: AuditSink, Service {
    private let repository: any AuditRepository
    private let logger: Logger
    private var pending: [(events: [AuditEvent], waiter: CheckedContinuation<Void, any Error>)] = []
    private var wakeUp: CheckedContinuation<Void, Never>?
    private var running = false
    private var stopping = false

    public init(repository: any AuditRepository, logger: Logger) {
        self.repository = repository
        self.logger = logger
    }

    /// Requests waiting for the next commit (for tests and metrics).
    public var pendingCount: Int { pending.count }
    /// Whether ``run()`` is accepting events for group commit.
    public var isRunning: Bool { running && !stopping }

    public func record(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        guard running, !stopping else {
            // Not running (one-shot commands, or after shutdown began and drained): write directly.
            try await repository.append(events)
            return
        }
        try await withCheckedThrowingContinuation { waiter in
            pending.append((events, waiter))
            wakeUp?.resume()
            wakeUp = nil
        }
    }

    public func run() async throws {
        running = true
        await withGracefulShutdownHandler {
            await self.loop()
        } onGracefulShutdown: {
            Task { await self.beginStopping() }
        }
        // Cancelled without a graceful shutdown: fail whoever still waits rather than leaving them hanging.
        let abandoned = pending
        pending = []
        running = false
        for item in abandoned {
            item.waiter.resume(throwing: VigilError(.unavailable, code: "unavailable", message: "audit writer stopped"))
        }
    }

    private func beginStopping() {
        stopping = true
        wakeUp?.resume()
        wakeUp = nil
    }

    private func loop() async {
        while !Task.isCancelled {
            if pending.isEmpty {
                if stopping { return }
                await withTaskCancellationHandler {
                    await withCheckedContinuation { wakeUp = $0 }
                } onCancel: {
                    Task { await self.beginStopping() }
                }
                continue
            }
            let batch = pending
            pending = []
            let size = batch.reduce(0) { $0 + $1.events.count }
            do {
                try await repository.append(batch.flatMap(\.events))
                for item in batch { item.waiter.resume() }
            } catch {
                logger.error(
                    "audit commit failed", metadata: ["events": .stringConvertible(size), "error": .string(String(describing: error))])
                for item in batch {
                    item.waiter.resume(
                        throwing: VigilError(
                            .unavailable, code: "audit_unavailable", message: "the audit trail cannot be written; try again"))
                }
            }
        }
    }
}
