import ServiceLifecycle
import VigilCore

/// A stream lives as long as its access token: it ends with 4001 when the token would have expired, unless
/// the client sent `auth` with a fresh token of the same user, which moves the end to that token's expiry.
/// Deadlines are on the hub's injected clock; one service checks them for the node (no timer per connection).
extension StreamHub {
    /// Moves a connection's end to `deadline` (µs) when that is later.
    func extend(_ connection: StreamConnection, until deadline: Int64) {
        guard connections[connection.id] != nil else { return }
        tokenDeadlines.schedule(connection.id, at: max(deadline, tokenDeadlines.deadline(of: connection.id) ?? deadline))
    }

    /// Closes (4001) every connection whose token has expired; returns how many.
    @discardableResult
    func expireTokens() async -> Int {
        let expired = tokenDeadlines.popExpired(now: clock.nowMicros)
        for id in expired {
            guard let connection = connections[id] else { continue }
            // Nothing more in or out: unregistered at once, not when the peer answers the close.
            connection.close(.unauthorized, "token expired")
            await close(connection)
        }
        return expired.count
    }
}

/// Ends the streams whose access token expired, every `interval` (1 s) on the injected clock.
struct StreamTokenExpiryService: Service {
    let hub: StreamHub
    let clock: any JobClock
    let interval: Int64

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await clock.sleep(forMicros: interval) } catch { return }
                await hub.expireTokens()
            }
        }
    }
}
