/// A bound on concurrent CPU-heavy work (password hashing, actigraphy reports): `limit` at once, `queueLength` waiting,
/// and beyond that an immediate `503 server_busy` rather than an unbounded queue that would starve
/// every other request.
public actor AdmissionGate {
    let limit: Int
    let queueLength: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int, queueLength: Int) {
        self.limit = max(1, limit)
        self.queueLength = max(0, queueLength)
    }

    public static let busy = VigilError(
        .unavailable, code: "server_busy", message: "the server is busy with work of this kind; try again shortly", retryAfterSeconds: 1)

    /// Runs `work` when a slot is free, or throws ``busy`` at once when the queue is full.
    public nonisolated func run<T: Sendable>(_ work: @Sendable () async throws -> T) async throws -> T {
        try await enter()
        do {
            let result = try await work()
            await leave()
            return result
        } catch {
            await leave()
            throw error
        }
    }

    private func enter() async throws(VigilError) {
        if running < limit {
            running += 1
            return
        }
        guard waiting.count < queueLength else { throw Self.busy }
        // The slot is handed over by `leave`, so `running` stays counted for the woken task.
        await withCheckedContinuation { waiting.append($0) }
    }

    private func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }

    /// Tasks running and waiting (for tests).
    public var load: (running: Int, waiting: Int) { (running, waiting.count) }
}
