import Logging
import NIOCore
import ServiceLifecycle
import VigilCore
import VigilStorage

/// What re-checking a live stream's access found.
enum StreamAccess: Sendable, Equatable {
    case allowed
    /// The caller may no longer read the subject (grant revoked or expired, care team changed…).
    case denied
    /// The caller's login ended (logout, refresh-token reuse, user disabled).
    case signedOut
    /// The check itself failed (database unreachable).
    case unknown
}

/// Delivers committed sample events to stream subscribers, in cursor order, exactly once, and applies
/// the outbox's other events in the same order: access changes (re-check the affected subscriptions
/// before anything later is delivered) and realtime-session changes (so every node agrees on sessions).
///
/// One drain at a time reads the outbox after the last cursor it dispatched whenever something commits
/// (signalled in process, and by PostgreSQL `NOTIFY` from other nodes) and hands each event to the
/// subject's subscribers (a dictionary lookup, never a scan). A subscription with `since` is registered
/// first and snapshots the dispatched cursor H in the same actor turn; it replays `(since, H]` from the
/// table while live events (all > H) queue behind the replay: no gap, no duplicate.
actor StreamHub {
    let log: SampleEventLog
    let logger: Logger
    let limits: RealtimeLimits
    /// This node's id in session changes.
    let node: String
    /// Re-checks a caller's login and, given a subject, its access to it (no audit: the stream was
    /// audited when it started).
    let check: @Sendable (Identity, String?) async -> StreamAccess
    private(set) var dispatched: Int64 = 0
    private var started = false
    private var draining = false
    private var drainAgain = false
    /// Connections by id, user, subject and session: every lookup is a dictionary access.
    var registry: ConnectionRegistry<Int>
    var connections: [Int: StreamConnection] = [:]
    /// Realtime sessions as every node sees them, with their last messages.
    var sessions: SessionStore
    let clock: any JobClock
    /// Live events held back per (connection, subject) while that subscription's replay runs.
    private var pending: [Int: [String: [SampleEvent]]] = [:]
    /// Joins per (connection, session) whose audit event is not committed yet, with what they will be sent.
    var joining: [Int: [String: JoinHold]] = [:]
    /// When each connection's access token expires (µs, on `clock`): the stream ends then with 4001.
    var tokenDeadlines = DeadlineQueue<Int>()
    var counters = Counters()

    struct Counters: Sendable, Equatable {
        var eventsDispatched = 0
        var messagesSent = 0
        var slowConsumersDropped = 0
        var accessRechecks = 0
        var subscriptionsRevoked = 0
    }

    init(
        log: SampleEventLog, limits: RealtimeLimits, clock: any JobClock, node: String,
        check: @escaping @Sendable (Identity, String?) async -> StreamAccess, logger: Logger
    ) {
        self.log = log
        self.logger = logger
        self.limits = limits
        self.clock = clock
        self.node = node
        self.check = check
        self.registry = ConnectionRegistry(limits: limits)
        self.sessions = SessionStore(limits: limits)
    }

    /// Starts from the newest cursor (events committed before are replayed on request only), after
    /// rebuilding the sessions still alive from their changes.
    func start() async throws {
        guard !started else { return }
        let latest = try await log.latestCursor()
        for event in try await log.sessionChanges(since: clock.nowMicros - limits.sessionTTL) where event.cursor <= latest {
            if let change = SessionChange(json: event.samplesJSON) { _ = sessions.apply(change) }
        }
        dispatched = latest
        started = true
    }

    /// Reads and dispatches everything committed after the last dispatched cursor. One drain runs at a
    /// time (a call during a drain makes it read once more), so an access re-check finishes before any
    /// later event is delivered.
    func dispatchCommitted() async {
        guard started else { return }
        if draining {
            drainAgain = true
            return
        }
        draining = true
        repeat {
            drainAgain = false
            await drain()
        } while drainAgain
        draining = false
    }

    /// Closes every connection (1001): the node is shutting down.
    func closeAll() {
        for connection in connections.values { connection.close(.goingAway, "server shutting down") }
    }

    /// Pings every connection; closes (1001) those the peer has sent nothing on — not even a pong to the
    /// previous ping — for `silenceLimit` nanoseconds.
    func heartbeat(silenceLimit: UInt64) {
        for connection in connections.values {
            if connection.silence > silenceLimit {
                // The peer is presumed gone: no closing handshake to wait for.
                connection.close(.goingAway, "ping timeout")
                connection.channel.eventLoop.execute { connection.channel.close(promise: nil) }
            } else {
                connection.ping()
            }
        }
    }

    /// Re-checks every stream's access (grants that expired since). It runs beside the drain, not in
    /// it, so it never holds deliveries back; a check that fails (database unreachable) keeps the stream.
    func sweep() async {
        await recheck(.everyone)
    }

    private func drain() async {
        while true {
            let events: [SampleEvent]
            do {
                events = try await log.events(after: dispatched, limit: 1_000)
            } catch is CancellationError {
                return
            } catch {
                logger.error("reading sample events failed", metadata: ["error": "\(error)"])
                return
            }
            for event in events where event.cursor > dispatched {
                switch event.kind {
                case .samples: deliver(event)
                case .access: if let change = AccessChange(json: event.samplesJSON) { await recheck(.init(change)) }
                case .session: if let change = SessionChange(json: event.samplesJSON) { apply(change) }
                }
                dispatched = event.cursor
                counters.eventsDispatched += 1
            }
            if events.count < 1_000 { return }
        }
    }

    /// Live events held for one subscription while its replay runs, at most.
    static let maxHeldPerReplay = 10_000

    private func deliver(_ event: SampleEvent) {
        // Most subscriptions take every type: they share one encoded message, written by one task per event loop.
        var unfiltered = StreamFanOut()
        var sharing = 0
        for id in registry.subscribers(of: event.subject) {
            if pending[id]?[event.subject] != nil {
                // Held while the subscription's replay runs; bounded, so a replay that cannot keep up ends.
                pending[id]![event.subject]!.append(event)
                if pending[id]![event.subject]!.count > Self.maxHeldPerReplay {
                    connections[id]?.close(.slowConsumer, "slow consumer")
                    pending[id] = nil
                }
                continue
            }
            guard let connection = connections[id] else { continue }
            if let types = registry.subscriptions(of: id)[event.subject] ?? nil {
                if let message = StreamMessages.sample(event, types: types) { send(message, to: id) }
            } else if unfiltered.add(connection) {
                sharing += 1
            } else {
                counters.slowConsumersDropped += 1
            }
        }
        guard sharing > 0, let message = StreamMessages.sample(event, types: nil) else { return }
        unfiltered.send(message)
        counters.messagesSent += sharing
    }

    func send(_ event: SampleEvent, to id: Int) {
        let types = registry.subscriptions(of: id)[event.subject] ?? nil
        if let message = StreamMessages.sample(event, types: types) { send(message, to: id) }
    }

    private func send(_ message: [UInt8], to id: Int) {
        guard let connection = connections[id] else { return }
        if connection.send(message) {
            counters.messagesSent += 1
        } else {
            counters.slowConsumersDropped += 1
        }
    }

    func open(_ connection: StreamConnection, expiresAt: Int64) throws(ConnectionRegistry<Int>.Refusal) {
        try registry.register(connection.id, user: connection.identity.username.value)
        connections[connection.id] = connection
        tokenDeadlines.schedule(connection.id, at: expiresAt)
    }

    func close(_ connection: StreamConnection) async {
        let user = connection.identity.username.value
        // A user is present while any of their devices is in the session.
        let leaving = registry.sessions(of: connection.id).filter {
            !registry.userHasOtherConnection(user, in: $0, excluding: connection.id)
        }
        _ = registry.unregister(connection.id)
        connections[connection.id] = nil
        pending[connection.id] = nil
        joining[connection.id] = nil
        tokenDeadlines.remove(connection.id)
        for session in leaving.sorted() { await record(.left, by: connection, in: session) }
    }

    /// Registers a subscription and returns the cursor H it starts after. With `replay`, live events wait
    /// until ``finishReplay(_:subject:)``: the caller first replays `(since, H]` from the table.
    func subscribe(
        _ connection: StreamConnection, subject: String, types: Set<String>?, replay: Bool, correlationID: String?
    ) throws(ConnectionRegistry<Int>.Refusal) -> Int64 {
        try registry.subscribe(connection.id, to: subject, types: types)
        if replay { pending[connection.id, default: [:]][subject] = [] }
        // In the same turn as the registration: `subscribed` comes before any live event.
        connection.send(StreamMessages.subscribed(subject, cursor: dispatched, types: types, id: correlationID))
        return dispatched
    }

    /// Sends one replayed event if the subscription is still replaying (not ended by a re-check);
    /// `false` ends the replay.
    func replay(_ message: [UInt8]?, to connection: StreamConnection, subject: String) -> Bool {
        guard pending[connection.id]?[subject] != nil, !connection.isClosing else { return false }
        if let message { connection.send(message) }
        return true
    }

    /// Sends the events that arrived during the replay (all newer than the replayed ones) and goes live.
    func finishReplay(_ connection: StreamConnection, subject: String) {
        guard let held = pending[connection.id]?.removeValue(forKey: subject) else { return }
        for event in held { send(event, to: connection.id) }
    }

    func unsubscribe(_ connection: StreamConnection, subject: String) -> Bool {
        pending[connection.id]?[subject] = nil
        return registry.unsubscribe(connection.id, from: subject)
    }

    func sessions(of connection: StreamConnection) -> [String] {
        registry.sessions(of: connection.id).sorted()
    }

    func subscriptions(of connection: StreamConnection) -> [String] {
        registry.subscriptions(of: connection.id).keys.sorted()
    }
}
