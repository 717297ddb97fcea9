import ServiceLifecycle
import VigilStorage

/// Runs the hub: dispatches after every local commit signal and every PostgreSQL notification, and polls
/// every few seconds as a safety net (a notification lost while the listening connection reconnected).
struct StreamHubService: Service {
    let hub: StreamHub
    let store: VigilStore
    let ready: @Sendable () async -> Void
    /// How often every stream's access is re-checked, microseconds.
    let recheckInterval: Int64
    /// How often connections are pinged, microseconds.
    let heartbeatInterval: Int64

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await ready()
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in store.sampleEventSignal.cursors { await hub.dispatchCommitted() }
                }
                group.addTask {
                    // One heartbeat for the node, not a timer task per connection.
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .microseconds(heartbeatInterval))
                        await hub.heartbeat(silenceLimit: UInt64(heartbeatInterval) * 2_000)
                    }
                }
                group.addTask {
                    // Grants that expire end their streams within one interval.
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .microseconds(recheckInterval))
                        await hub.sweep()
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        do {
                            try await store.sampleEvents.listen(
                                onCursor: { _ in await hub.dispatchCommitted() }, audioIgnoring: hub.node,
                                onAudio: { frame in await hub.relayRemote(frame) })
                        } catch {
                            try? await Task.sleep(for: .seconds(1))
                        }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(2))
                        await hub.dispatchCommitted()
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        // Streams are plain channels the HTTP server does not wait for: close them before the node stops.
        await hub.closeAll()
    }
}
