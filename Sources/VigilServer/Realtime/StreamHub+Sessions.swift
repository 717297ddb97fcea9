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

    /// Joins (the first join creates the session): sends the joiner the kept history and who is already
    /// present, then records the join, which everyone present hears. Returns how many messages it sent.
    func join(_ connection: StreamConnection, session id: String, correlationID: String?) async throws(SessionRefusal) -> Int {
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
        // In the same actor turn as the registration: later messages reach the joiner live, after these.
        let live = sessions.liveSession(id, now: clock.nowMicros)
        let history = live?.messages(after: 0) ?? []
        for message in history {
            connection.send(RealtimeServerMessage.session(session: id, event: .message(message), correlationID: correlationID).encoded())
        }
        for other in (live?.present ?? []).sorted() where other != user {
            connection.send(RealtimeServerMessage.session(session: id, event: .joined(user: other), correlationID: nil).encoded())
        }
        if !registry.userHasOtherConnection(user, in: id, excluding: connection.id) {
            guard await record(.joined, by: connection, in: id) else {
                _ = registry.leave(connection.id, session: id)
                throw .failure(.internal)
            }
        }
        return history.count
    }

    func leave(_ connection: StreamConnection, session id: String) async {
        guard registry.leave(connection.id, session: id) else { return }
        // A user is present while any of their devices is in the session.
        guard !registry.userHasOtherConnection(connection.identity.username.value, in: id, excluding: connection.id) else { return }
        await record(.left, by: connection, in: id)
    }

    func post(_ text: ChatText, from connection: StreamConnection, to id: String) async throws(SessionRefusal) {
        guard registry.sessions(of: connection.id).contains(id) else { throw .failure(.notInSession) }
        guard await record(.message, by: connection, in: id, text: text.value) else { throw .failure(.internal) }
    }

    /// Writes a change to the outbox; the drain applies it here and on every other node.
    @discardableResult
    func record(_ action: SessionChange.Action, by connection: StreamConnection, in session: String, text: String? = nil) async -> Bool {
        let subject = session.split(separator: ":", maxSplits: 1).first.map(String.init) ?? session
        let change = SessionChange(
            session: session, node: node, user: connection.identity.username.value, action: action, text: text, at: clock.nowMicros)
        do {
            _ = try await log.append(change, organization: connection.identity.organization, subject: subject)
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
        for member in registry.members(of: frame.session) { connections[member]?.sendBinary(bytes) }
    }

    /// Relays an audio frame to the session's other connections on this node (the caller publishes it to
    /// the other nodes).
    func relay(_ frame: RealtimeAudioFrame, from connection: StreamConnection) throws(SessionRefusal) {
        guard registry.sessions(of: connection.id).contains(frame.session) else { throw .failure(.notInSession) }
        let bytes = frame.encoded()
        for member in registry.members(of: frame.session) where member != connection.id {
            connections[member]?.sendBinary(bytes)
        }
    }

    /// Ends every expired session and tells its members; returns how many ended.
    @discardableResult
    func cleanupSessions() -> Int {
        let expired = sessions.cleanup(now: clock.nowMicros)
        for id in expired {
            let message = RealtimeServerMessage.session(session: id, event: .closed(reason: "expired"), correlationID: nil).encoded()
            for member in registry.removeSession(id) { connections[member]?.send(message) }
        }
        return expired.count
    }

    func broadcast(_ message: RealtimeServerMessage, to session: String) {
        let bytes = message.encoded()
        for member in registry.members(of: session) { connections[member]?.send(bytes) }
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
