import Logging
import ServiceLifecycle
import VigilCore

/// Realtime sessions: text and audio between a patient and the clinicians allowed to read its data.
/// Session ids are `<subject>:<name>`; the caller checks access to the subject before ``join(_:session:)``.
extension StreamHub {
    enum SessionRefusal: Error {
        case failure(RealtimeErrorCode)
    }

    /// Joins (creating the session on first join): everyone present hears `joined`, the joiner also gets a
    /// `joined` for each user already present; returns the kept history for the joiner.
    func join(_ connection: StreamConnection, session id: String) throws(SessionRefusal) -> [RealtimeSessionMessage] {
        let user = connection.identity.username.value
        let now = clock.nowMicros
        do {
            try sessions.admit(user, to: id, now: now)
            let isNew = try sessions.join(id, user: user, now: now)
            try registry.join(connection.id, session: id)
            if isNew { broadcast(.session(session: id, event: .joined(user: user), correlationID: nil), to: id) }
            // The joiner also learns who was already there.
            for other in (sessions.session(id, for: user, now: now)?.present ?? []).sorted() where other != user {
                connection.send(RealtimeServerMessage.session(session: id, event: .joined(user: other), correlationID: nil).encoded())
            }
            return try sessions.messages(in: id, for: user, after: 0, now: now)
        } catch let failure as SessionStore.Failure {
            throw .failure(failure.code)
        } catch let refusal as ConnectionRegistry<Int>.Refusal {
            throw .failure(refusal.code)
        } catch {
            throw .failure(.internal)
        }
    }

    func leave(_ connection: StreamConnection, session id: String) {
        guard registry.leave(connection.id, session: id) else { return }
        let user = connection.identity.username.value
        // A user is present while any of their devices is in the session.
        guard !registry.userHasOtherConnection(user, in: id, excluding: connection.id) else { return }
        _ = try? sessions.leave(id, user: user, now: clock.nowMicros)
        broadcast(.session(session: id, event: .left(user: user), correlationID: nil), to: id)
    }

    func post(_ text: ChatText, from connection: StreamConnection, to id: String) throws(SessionRefusal) {
        guard registry.sessions(of: connection.id).contains(id) else { throw .failure(.notInSession) }
        do {
            let message = try sessions.post(text, to: id, from: connection.identity.username.value, now: clock.nowMicros)
            broadcast(.session(session: id, event: .message(message), correlationID: nil), to: id)
        } catch {
            throw .failure(error.code)
        }
    }

    /// Relays an audio frame to the session's other connections.
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
