import Logging
import ServiceLifecycle
import VigilCore

/// Realtime sessions: text and audio between a patient and the clinicians allowed to read its data.
/// Session ids are `<subject>:<name>`; the caller checks access to the subject before ``join(_:session:correlationID:)``.
///
/// Joins, leaves and messages are accepted here and written to the outbox as ``SessionChange``s; every
/// node (this one too) applies them in cursor order and tells its own members, so a session spans nodes.
extension StreamHub {
    enum SessionRefusal: Error {
        case failure(RealtimeErrorCode)
    }

    /// A join whose audit event is not committed yet: the kept history and who was present when it was
    /// registered, and the session's messages that arrived since (sent after those).
    struct JoinHold: Sendable {
        let history: [RealtimeSessionMessage]
        let present: [String]
        var held: [[UInt8]] = []
    }

    /// Registers a join (the first join creates the session) and holds what the joiner will be sent — the
    /// kept history and who is present, as of now, then the session's later messages — until
    /// ``finishJoin(_:session:correlationID:)``: the caller first re-checks access and commits the audit
    /// event. Returns how many messages the history holds.
    func join(_ connection: StreamConnection, session id: String) throws(SessionRefusal) -> Int {
        let user = connection.identity.username.value
        do {
            try sessions.checkJoin(id, user: user, now: clock.nowMicros)
            try registry.join(connection.id, session: id)
        } catch let failure as SessionStore.Failure {
            throw .failure(failure.code)
        } catch let refusal as ConnectionRegistry<Int>.Refusal {
            throw .failure(refusal.code)
        } catch {
            throw .failure(.internal)
        }
        // In the same actor turn as the registration: later messages are held behind this snapshot.
        let live = sessions.liveSession(id, now: clock.nowMicros)
        let hold = JoinHold(history: live?.messages(after: 0) ?? [], present: (live?.present ?? []).sorted().filter { $0 != user })
        joining[connection.id, default: [:]][id] = hold
        return hold.history.count
    }

    /// Sends a held join its history, who is present and what arrived meanwhile, then records the join, which
    /// everyone present hears. Does nothing when the membership ended meanwhile (access revoked, session closed).
    func finishJoin(_ connection: StreamConnection, session id: String, correlationID: String?) async throws(SessionRefusal) {
        guard let hold = dropHold(connection.id, session: id), registry.sessions(of: connection.id).contains(id) else { return }
        for message in hold.history {
            connection.send(RealtimeServerMessage.session(session: id, event: .message(message), correlationID: correlationID).encoded())
        }
        for other in hold.present {
            connection.send(RealtimeServerMessage.session(session: id, event: .joined(user: other), correlationID: nil).encoded())
        }
        for bytes in hold.held { connection.send(bytes) }
        if !registry.userHasOtherConnection(connection.identity.username.value, in: id, excluding: connection.id) {
            guard await record(.joined, by: connection, in: id) else {
                _ = registry.leave(connection.id, session: id)
                throw .failure(.internal)
            }
        }
    }

    /// Drops a held join whose audit event could not be written: nothing was sent, nothing recorded.
    func abandonJoin(_ connection: StreamConnection, session id: String) {
        guard dropHold(connection.id, session: id) != nil else { return }
        _ = registry.leave(connection.id, session: id)
    }

    @discardableResult
    private func dropHold(_ connection: Int, session id: String) -> JoinHold? {
        let hold = joining[connection]?.removeValue(forKey: id)
        if joining[connection]?.isEmpty == true { joining[connection] = nil }
        return hold
    }

    func leave(_ connection: StreamConnection, session id: String) async {
        dropHold(connection.id, session: id)
        guard registry.leave(connection.id, session: id) else { return }
        // A user is present while any of their devices is in the session.
        guard !registry.userHasOtherConnection(connection.identity.username.value, in: id, excluding: connection.id) else { return }
        await record(.left, by: connection, in: id)
    }

    /// Posts a chat message; `audit` (its `session.message` event) is committed in the message's transaction.
    func post(_ text: ChatText, from connection: StreamConnection, to id: String, audit: AuditEvent) async throws(SessionRefusal) {
        guard registry.sessions(of: connection.id).contains(id), joining[connection.id]?[id] == nil else {
            throw .failure(.notInSession)
        }
        guard await record(.message, by: connection, in: id, text: text.value, audit: audit) else { throw .failure(.internal) }
    }

    /// Writes a change to the outbox (with `audit` in its transaction); the drain applies it here and on every other node.
    @discardableResult
    func record(
        _ action: SessionChange.Action, by connection: StreamConnection, in session: String, text: String? = nil, audit: AuditEvent? = nil
    ) async -> Bool {
        let subject = session.split(separator: ":", maxSplits: 1).first.map(String.init) ?? session
        let change = SessionChange(
            session: session, node: node, user: connection.identity.username.value, action: action, text: text, at: clock.nowMicros)
        do {
            _ = try await log.append(change, organization: connection.identity.organization, subject: subject, audit: audit)
            return true
        } catch {
            logger.error("recording a session change failed", metadata: ["session": "\(session)", "error": "\(error)"])
            return false
        }
    }

    /// Applies a change read from the outbox and tells this node's members what it changed.
    func apply(_ change: SessionChange) {
        guard let event = sessions.apply(change) else { return }
        broadcast(.session(session: change.session, event: event, correlationID: nil), to: change.session)
    }

    /// Relays a frame another node published to this node's members of its session.
    func relayRemote(_ bytes: [UInt8]) {
        guard case .success(let frame) = RealtimeAudioFrame.decode(bytes, maxBytes: limits.maxAudioFrameBytes) else { return }
        for member in registry.members(of: frame.session) where joining[member]?[frame.session] == nil {
            connections[member]?.sendBinary(bytes)
        }
    }

    /// Relays an audio frame to the session's other connections on this node (the caller publishes it to
    /// the other nodes).
    func relay(_ frame: RealtimeAudioFrame, from connection: StreamConnection) throws(SessionRefusal) {
        guard registry.sessions(of: connection.id).contains(frame.session), joining[connection.id]?[frame.session] == nil else {
            throw .failure(.notInSession)
        }
        let bytes = frame.encoded()
        // Audio is live only: a joiner whose audit event is not committed yet does not get it.
        for member in registry.members(of: frame.session) where member != connection.id && joining[member]?[frame.session] == nil {
            connections[member]?.sendBinary(bytes)
        }
    }

    /// Ends every expired session and tells its members; returns how many ended.
    @discardableResult
    func cleanupSessions() -> Int {
        let expired = sessions.cleanup(now: clock.nowMicros)
        for id in expired {
            let message = RealtimeServerMessage.session(session: id, event: .closed(reason: "expired"), correlationID: nil).encoded()
            for member in registry.removeSession(id) {
                dropHold(member, session: id)
                connections[member]?.send(message)
            }
        }
        return expired.count
    }

    func broadcast(_ message: RealtimeServerMessage, to session: String) {
        let bytes = message.encoded()
        for member in registry.members(of: session) {
            guard joining[member]?[session] != nil else {
                connections[member]?.send(bytes)
                continue
            }
            // Held behind the join's history, bounded like a replay's live events.
            joining[member]![session]!.held.append(bytes)
            if joining[member]![session]!.held.count > Self.maxHeldPerReplay {
                connections[member]?.close(.slowConsumer, "slow consumer")
                joining[member] = nil
            }
        }
    }

    var sessionCount: Int { sessions.count }
}

/// Ends expired sessions every `sessionCleanupInterval` (5 min) on the injected clock.
struct SessionJanitorService: Service {
    let hub: StreamHub
    let clock: any JobClock
    let interval: Int64

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await clock.sleep(forMicros: interval) } catch { return }
                await hub.cleanupSessions()
            }
        }
    }
}
