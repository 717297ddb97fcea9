import Logging
import ServiceLifecycle
import Synchronization
import VigilCore

/// Audits requests refused with 401 (`auth.token`, outcome `denied`) without letting a flood of them
/// flood the trail: each client address gets `perAddressPerMinute` individual events per minute; the
/// rest of that minute is counted and recorded as one summary event whose `record_count` is the number
/// of refusals it stands for (written with the first refusal after the minute ends). A token that is
/// ours (expired, or its session logged out) puts the event in its user's organisation; anything else
/// goes to the `_unattributed` chain.
final class RejectedTokenAudit: Sendable {
    let auth: AuthService
    let sink: any AuditSink
    let logger: Logger
    private let now: @Sendable () -> Int64
    private let window: Mutex<RefusalWindow>

    init(auth: AuthService, sink: any AuditSink, perAddressPerMinute: Int, logger: Logger, now: @escaping @Sendable () -> Int64) {
        self.auth = auth
        self.sink = sink
        self.logger = logger
        self.now = now
        self.window = Mutex(RefusalWindow(limit: perAddressPerMinute))
    }

    /// Records one refusal; returns once its event (if it gets one) is committed.
    func record(token: String?, subject: String?, origin: AuditEvent.Origin) async {
        let time = now()
        let (admitted, summaries) = window.withLock { $0.count(address: origin.clientAddress ?? "unknown", at: time) }
        var events = Self.events(summaries, at: time)
        if admitted {
            let owner = await auth.rejectedTokenOwner(token)
            events.append(
                AuditEvent(
                    organization: owner.organization, actor: owner.actor, action: .tokenRejected, resourceType: "Session",
                    subject: subject, recordCount: 1, outcome: .denied, occurredAt: time, origin: origin))
        }
        await write(events)
    }

    /// Writes the summaries of a window that has ended without a refusal after it (the periodic
    /// ``RefusalSummaryService``), or of the current one too when `force` (at shutdown).
    func flushSummaries(force: Bool = false) async {
        let time = now()
        await write(Self.events(window.withLock { $0.close(at: time, force: force) }, at: time))
    }

    private static func events(_ summaries: [RefusalWindow.Summary], at time: Int64) -> [AuditEvent] {
        summaries.map { summary in
            AuditEvent(
                organization: AuditEvent.unattributedOrganization, actor: .init(), action: .tokenRejected,
                resourceType: "Session", recordCount: summary.suppressed, outcome: .denied, occurredAt: time,
                origin: .init(requestID: "summary", clientAddress: summary.address == "unknown" ? nil : summary.address))
        }
    }

    private func write(_ events: [AuditEvent]) async {
        guard !events.isEmpty else { return }
        do {
            try await sink.record(events)
        } catch {
            logger.error("recording a refused request failed", metadata: ["error": "\(error)"])
        }
    }
}

/// Writes the 401 summaries of a minute that ended without a refusal after it (every `interval`), and
/// the current minute's at shutdown, so a summary is never lost waiting for the next refusal.
struct RefusalSummaryService: Service {
    let rejections: RejectedTokenAudit
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                await rejections.flushSummaries()
            }
        }
        await rejections.flushSummaries(force: true)
    }
}
