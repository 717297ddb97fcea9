import Logging
import ServiceLifecycle
import Testing
import VigilCore
import VigilServer

/// A repository whose first append waits until the test opens the gate.
actor GatedAuditRepository: AuditRepository {
    private(set) var appended: [AuditEvent] = []
    private(set) var transactions = 0
    private var gate: CheckedContinuation<Void, Never>?
    private var open = false

    func append(_ events: [AuditEvent]) async throws {
        if !open, transactions == 0 {
            transactions += 1
            await withCheckedContinuation { gate = $0 }
        } else {
            transactions += 1
        }
        appended += events
    }

    func openGate() {
        open = true
        gate?.resume()
        gate = nil
    }

    var isWaiting: Bool { gate != nil }

    func events(_ query: AuditQuery) async throws -> [ChainedAuditEvent] { [] }
}

/// Yields until `condition` holds; fails instead of hanging if it never does.
func eventually(_ condition: () async -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    for _ in 0..<200_000 {
        if await condition() { return }
        await Task.yield()
    }
    Issue.record("condition never became true", sourceLocation: sourceLocation)
    throw CancellationError()
}

@Suite("Audit writer")
struct AuditWriterTests {
    static func event(_ i: Int) -> AuditEvent {
        AuditEvent(
            organization: "o",
            actor: .init(username: "u"),
            action: .sampleRead,
            resourceType: "Observation",
            outcome: .success,
            occurredAt: Int64(i),
            origin: .init(requestID: "r\(i)")
        )
    }

    @Test("requests that queue during a commit share the next one, and shutdown flushes every pending event")
    func groupCommitAndFlushOnShutdown() async throws {
        let repository = GatedAuditRepository()
        let writer = AuditWriter(repository: repository, logger: Logger(label: "test"))
        let group = ServiceGroup(configuration: .init(services: [writer], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await eventually { await writer.isRunning }
            // The first event's commit blocks at the gate…
            tasks.addTask { try await writer.record(Self.event(0)) }
            try await eventually { await repository.isWaiting }
            // …while 49 more requests queue up behind it.
            for i in 1..<50 { tasks.addTask { try await writer.record(Self.event(i)) } }
            try await eventually { await writer.pendingCount == 49 }
            await group.triggerGracefulShutdown()
            await repository.openGate()
            try await tasks.waitForAll()
        }
        #expect(await repository.appended.count == 50)
        #expect(Set(await repository.appended.map(\.occurredAt)) == Set(0..<50))
        // One blocked transaction, then one for everything that queued behind it.
        #expect(await repository.transactions == 2)
    }
}
