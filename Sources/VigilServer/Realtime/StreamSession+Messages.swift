import Foundation
import NIOCore
import VigilCore

/// What a stream session does with each client message: authentication, subscriptions with replay,
/// realtime sessions, audio, and refusals.
extension StreamSession {
    func handle(_ envelope: RealtimeClientEnvelope) async throws {
        let id = envelope.correlationID
        guard let connection = connection.withLock({ $0 }) else {
            guard case .auth(let token) = envelope.message else {
                try await refuse(.init(code: .unauthorized, message: "send {\"type\":\"auth\",\"token\":…} first", correlationID: id))
                return
            }
            guard let caller = try? await endpoint.auth.authenticateWithLifetime(bearer: token) else {
                await endpoint.rejections.record(token: token, subject: nil, origin: origin)
                closeSocket(.unauthorized, "invalid token")
                return
            }
            try await open(caller.identity, expiresAt: hub.clock.nowMicros + caller.lifetime)
            self.connection.withLock { $0 }?.send(RealtimeServerMessage.authenticated(correlationID: id).encoded())
            return
        }
        switch envelope.message {
        case .ping: connection.send(RealtimeServerMessage.pong(correlationID: id).encoded())
        case .status:
            connection.send(
                RealtimeServerMessage.status(
                    subscriptions: await hub.subscriptions(of: connection), sessions: await hub.sessions(of: connection),
                    correlationID: id
                )
                .encoded())
        case .subscribe(let subject, let types, let since):
            try await subscribe(connection, subject: subject, types: types, since: since, id: id)
        case .unsubscribe(let subject):
            _ = await hub.unsubscribe(connection, subject: subject)
            connection.send(RealtimeServerMessage.unsubscribed(subject: subject, correlationID: id).encoded())
        case .auth(let token): try await reauthenticate(connection, token: token, id: id)
        case .sessionJoin(let session): try await join(connection, session: session, id: id)
        case .sessionLeave(let session): await hub.leave(connection, session: session)
        case .text(let session, let text): try await post(text, to: session, from: connection, id: id)
        }
    }

    /// `auth` on an authenticated socket: a valid token of the same user moves the stream's end to that
    /// token's expiry (never earlier); an invalid one, or another user's, is refused and changes nothing.
    func reauthenticate(_ connection: StreamConnection, token: String, id: String?) async throws {
        guard let caller = try? await endpoint.auth.authenticateWithLifetime(bearer: token) else {
            await endpoint.rejections.record(token: token, subject: nil, origin: origin)
            return try await refuse(
                .init(code: .unauthorized, message: "invalid token; the stream keeps its current one", correlationID: id))
        }
        guard caller.identity.userID == connection.identity.userID else {
            return try await refuse(.init(code: .forbidden, message: "the token belongs to another user", correlationID: id))
        }
        await hub.extend(connection, until: hub.clock.nowMicros + caller.lifetime)
        connection.send(RealtimeServerMessage.authenticated(correlationID: id).encoded())
    }

    /// `text`: audited like a sample write — a `session.message` event committed in the message's own
    /// transaction, and an `error` event (no message stored) when it is refused or fails.
    func post(_ text: ChatText, to session: String, from connection: StreamConnection, id: String?) async throws {
        let request = AccessRequest(identity: connection.identity, origin: origin)
        let subject = session.firstIndex(of: ":").map { String(session[..<$0]) } ?? session
        func event(_ count: Int, _ outcome: AuditEvent.Outcome) -> AuditEvent {
            request.event(
                .sessionMessage, resourceType: "Communication", subject: subject, count: count, outcome: outcome,
                at: endpoint.access.nowMicroseconds)
        }
        do {
            try await hub.post(text, from: connection, to: session, audit: event(1, .success))
        } catch {
            do {
                try await endpoint.access.audit.record(event(0, .error))
            } catch {
                endpoint.logger.error("auditing a refused chat message failed", metadata: ["error": "\(error)"])
            }
            try await refuse(Self.sessionError(error, id: id))
        }
    }

    /// `session.join`: the session belongs to the subject before the first `:`, and only those who may read
    /// that subject's data (the patient, its granted clinicians) may join; others get `not_found`.
    func join(_ connection: StreamConnection, session: String, id: String?) async throws {
        let refusal = RealtimeProtocolError(code: .notFound, message: "session not found", correlationID: id)
        guard let separator = session.firstIndex(of: ":"), let subject = SubjectID(String(session[..<separator])) else {
            return try await refuse(.invalidField("session", "session ids are <subject>:<name>", correlationID: id))
        }
        let request = AccessRequest(identity: connection.identity, origin: origin)
        do {
            try await endpoint.access.authorize(
                request, .readSamples, subject: subject, auditAs: .sessionJoin, resourceType: "Communication")
        } catch let error as VigilError where error.kind == .notFound {
            return try await refuse(refusal)
        }
        let kept: Int
        do {
            kept = try await hub.join(connection, session: session)
        } catch {
            return try await refuse(Self.sessionError(error, id: id))
        }
        // As for `subscribe`: a revocation committed between the check above and the registration was drained
        // without seeing this membership, so check once more, now that later ones will see it.
        guard await hub.check(connection.identity, subject.value) == .allowed else {
            await hub.revokeNow(connection, subject: subject.value)
            return
        }
        // Durable before anything is sent: the event counts the kept messages the joiner is about to receive.
        do {
            try await endpoint.access.audit.record(
                request.event(
                    .sessionJoin, resourceType: "Communication", subject: subject.value, count: kept, outcome: .success,
                    at: endpoint.access.nowMicroseconds))
        } catch {
            await hub.abandonJoin(connection, session: session)
            return try await refuse(.init(code: .internal, message: "the join could not be audited; nothing was sent", correlationID: id))
        }
        do {
            try await hub.finishJoin(connection, session: session, correlationID: id)
        } catch {
            try await refuse(Self.sessionError(error, id: id))
        }
    }

    static func expired(_ since: Int64, id: String?) -> RealtimeProtocolError {
        RealtimeProtocolError(
            code: .cursorExpired,
            message: "events after cursor \(since) are no longer kept: read the samples over HTTP, then subscribe without since",
            correlationID: id)
    }

    static func sessionError(_ error: StreamHub.SessionRefusal, id: String?) -> RealtimeProtocolError {
        switch error {
        case .failure(let code):
            RealtimeProtocolError(
                code: code, message: code == .notFound ? "session not found" : "the session refused this: \(code.rawValue)",
                correlationID: id)
        }
    }

    /// A binary frame: session audio, rate limited separately, relayed to the session's other members.
    func audio(_ bytes: [UInt8]) async throws {
        guard let connection = connection.withLock({ $0 }) else {
            return try await refuse(.init(code: .unauthorized, message: "authenticate before sending audio"))
        }
        let allowed = policing.withLock { $0.audio.allow(now: Self.nowMicros) }
        guard allowed else {
            return try await refuse(
                .init(code: .rateLimited, message: "at most \(limits.audioFramesPerMinute) audio frames per minute"), rateLimited: true)
        }
        switch RealtimeAudioFrame.decode(bytes, maxBytes: limits.maxAudioFrameBytes) {
        case .failure(let error): try await refuse(error)
        case .success(let frame):
            do {
                try await hub.relay(frame, from: connection)
            } catch {
                return try await refuse(Self.sessionError(error, id: nil))
            }
            do {
                try await endpoint.audio.publish(bytes, from: hub.node)
            } catch {
                // Audio is live only: a frame that could not reach the other nodes is lost, like a dropped packet.
                endpoint.logger.warning("relaying audio to other nodes failed", metadata: ["error": "\(error)"])
            }
        }
    }

    func subscribe(_ connection: StreamConnection, subject name: String, types: Set<String>?, since: Int64?, id: String?) async throws {
        let request = AccessRequest(identity: connection.identity, origin: origin)
        let refusal = RealtimeProtocolError(code: .notFound, message: "subject not found", correlationID: id)
        guard let subject = SubjectID(name) else { return try await refuse(refusal) }
        if let types, let unknown = types.first(where: { SampleType(rawValue: $0) == nil }) {
            return try await refuse(.invalidField("types", "unknown sample type \(unknown)", correlationID: id))
        }
        do {
            try await endpoint.access.authorize(request, .readSamples, subject: subject, auditAs: .sampleRead, resourceType: "Observation")
        } catch let error as VigilError where error.kind == .notFound {
            return try await refuse(refusal)
        }
        if let since, since < (try await endpoint.events.prunedThrough()) {
            return try await refuse(Self.expired(since, id: id))
        }
        // Live events are held from the registration until the audit event is committed and the replay sent.
        let upTo: Int64
        do {
            upTo = try await hub.subscribe(connection, subject: subject.value, types: types, replay: true, correlationID: id)
        } catch {
            return try await refuse(.init(code: error.code, message: "too many subscriptions on this connection", correlationID: id))
        }
        // A revocation committed between the check above and the registration was drained without seeing
        // this subscription: check once more now that later ones will see it.
        guard await hub.check(connection.identity, subject.value) == .allowed else {
            await hub.revokeNow(connection, subject: subject.value)
            return
        }
        // Durable before anything is sent: the event counts the samples the replay will send.
        let replaying = since == nil ? 0 : try await endpoint.events.sampleCount(subject: subject, after: since!, upTo: upTo)
        try await endpoint.access.audit.record(
            request.event(
                .sampleRead, resourceType: "Observation", subject: subject.value, count: replaying, outcome: .success,
                at: endpoint.access.nowMicroseconds))
        if var after = since {
            while after < upTo {
                let page = try await endpoint.events.events(after: after, upTo: upTo, subject: subject, kinds: [.samples], limit: 1_000)
                for event in page {
                    // Paced by the client: a long replay waits for room instead of overflowing the send buffer.
                    // Through the hub: a replay ends as soon as a re-check ends the subscription.
                    guard try await connection.waitForRoom(),
                        await hub.replay(StreamMessages.sample(event, types: types), to: connection, subject: subject.value)
                    else { return }
                }
                guard let last = page.last else { break }
                after = last.cursor
            }
        }
        await hub.finishReplay(connection, subject: subject.value)
        // Pruned while replaying (only when `since` was at the retention's edge): say so rather than leave a gap.
        if let since, since < (try await endpoint.events.prunedThrough()) {
            _ = await hub.unsubscribe(connection, subject: subject.value)
            return try await refuse(Self.expired(since, id: id))
        }
    }

    /// Answers an invalid message with an error; repeated abuse closes the socket (1008, or 4029 for rate limits).
    func refuse(_ error: RealtimeProtocolError, rateLimited: Bool = false) async throws {
        let verdict = policing.withLock { $0.abuse.record(rateLimited ? .rateLimited : .protocolError, now: Self.nowMicros) }
        let bytes = error.serverMessage.encoded()
        if let connection = connection.withLock({ $0 }) {
            connection.send(bytes)
            if case .close(let code) = verdict { connection.close(code, "too many invalid messages") }
        } else {
            writeText(bytes)
            if case .close(let code) = verdict { closeSocket(code, "too many invalid messages") }
        }
    }
}
