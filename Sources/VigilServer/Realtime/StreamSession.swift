import Foundation
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import VigilCore

/// What a stream connection's frame handler passes to its session, in order.
enum StreamInbound: Sendable {
    /// Authenticated by the upgrade request's header.
    case open(Identity)
    case text(String)
    case binary([UInt8])
    /// The channel closed; always last.
    case closed
}

/// One WebSocket connection: authenticates it and answers client messages in order.
///
/// Messages wait in a small mailbox; a task runs only while it holds messages, so an idle connection has
/// no task at all. Replies and events are written by ``StreamConnection``; close frames here.
final class StreamSession: Sendable {
    let id: Int
    let endpoint: StreamEndpoint
    let origin: AuditEvent.Origin
    let channel: any Channel
    private let connection = Mutex<StreamConnection?>(nil)
    private let policing: Mutex<(messages: TokenBucket, audio: TokenBucket, abuse: AbusePolicy)>
    private let inbox = Mutex(Inbox())
    /// The server sent its close frame (the client's answer then ends the connection).
    let closeSent = Atomic<Bool>(false)
    /// Messages waiting at most; a client that sends faster than they are handled is closed (1008).
    static let maxWaiting = 64

    struct Inbox {
        var queue = CircularBuffer<StreamInbound>()
        var running = false
        var closed = false
    }

    init(id: Int, endpoint: StreamEndpoint, channel: any Channel, origin: AuditEvent.Origin) {
        self.id = id
        self.endpoint = endpoint
        self.channel = channel
        self.origin = origin
        let now = Self.nowMicros
        self.policing = Mutex(
            (
                TokenBucket.messages(endpoint.limits, now: now), TokenBucket.audioFrames(endpoint.limits, now: now),
                AbusePolicy(limits: endpoint.limits)
            ))
    }

    var limits: RealtimeLimits { endpoint.limits }
    var hub: StreamHub { endpoint.hub }
    static var nowMicros: Int64 { Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()) }

    /// Called on the event loop right after the upgrade.
    func start(identity: Identity?) {
        if let identity {
            enqueue(.open(identity))
            return
        }
        // Closes the socket with 4001 if no identity arrived within the auth timeout.
        channel.eventLoop.scheduleTask(in: .microseconds(limits.authTimeout)) { [self] in
            guard connection.withLock({ $0 }) == nil, !closeSent.load(ordering: .relaxed) else { return }
            Task { await endpoint.rejections.record(token: nil, subject: nil, origin: origin) }
            closeSocket(.unauthorized, "authentication timeout")
        }
    }

    /// Queues a message from the frame handler; starts the task that handles them when none runs.
    func enqueue(_ message: StreamInbound) {
        let (start, overflow): (Bool, Bool) = inbox.withLock { inbox in
            guard !inbox.closed else { return (false, false) }
            if case .closed = message {
                inbox.closed = true
            } else if inbox.queue.count >= Self.maxWaiting {
                return (false, true)
            }
            inbox.queue.append(message)
            guard !inbox.running else { return (false, false) }
            inbox.running = true
            return (true, false)
        }
        if overflow { closeSocket(.policyViolation, "too many messages waiting") }
        if start { Task { await self.drain() } }
    }

    private func drain() async {
        while let next = inbox.withLock({ inbox -> StreamInbound? in
            guard !inbox.queue.isEmpty else {
                inbox.running = false
                return nil
            }
            return inbox.queue.removeFirst()
        }) {
            switch next {
            case .open(let identity): try? await open(identity)
            case .text, .binary: try? await receive(next)
            case .closed: await finish()
            }
        }
    }

    /// The channel closed: leaves the hub.
    private func finish() async {
        if let connection = connection.withLock({ $0 }) {
            connection.finish()
            await hub.close(connection)
        }
        endpoint.ended()
    }

    /// Sends a close frame (behind the frames already written) and closes the channel 10 s later if the
    /// client has not answered by then.
    func closeSocket(_ code: RealtimeCloseCode, _ reason: String) {
        guard !closeSent.exchange(true, ordering: .relaxed) else { return }
        var payload = ByteBuffer()
        payload.writeInteger(code.rawValue)
        payload.writeString(reason)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
        channel.eventLoop.execute { [channel] in channel.writeAndFlush(frame, promise: nil) }
        channel.eventLoop.scheduleTask(in: .seconds(10)) { [channel] in channel.close(promise: nil) }
    }

    /// Writes a text frame outside the hub's path (before authentication).
    func writeText(_ bytes: [UInt8]) {
        let frame = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: bytes))
        channel.eventLoop.execute { [channel] in channel.writeAndFlush(frame, promise: nil) }
    }

    /// Registers an authenticated caller with the hub.
    func open(_ caller: Identity) async throws {
        let connection = try await StreamConnection.open(
            id: id, identity: caller, channel: channel, bufferLimit: limits.sendBufferMessages,
            requestClose: { [self] code, reason in closeSocket(code, reason) })
        do {
            try await hub.open(connection)
        } catch {
            closeSocket(.goingAway, "this node is full")
            return
        }
        self.connection.withLock { $0 = connection }
        // A logout committed while this socket authenticated was drained without seeing it.
        if await hub.check(caller, nil) == .signedOut {
            connection.close(.unauthorized, "signed out")
            await hub.close(connection)
        }
    }

    @inline(never)
    func receive(_ message: StreamInbound) async throws {
        // A connection being closed (signed out, slow, abusive) is heard no more.
        if connection.withLock({ $0 })?.isClosing == true || closeSent.load(ordering: .relaxed) { return }
        guard case .text(let text) = message else {
            if case .binary(let bytes) = message { try await audio(bytes) }
            return
        }
        let allowed = policing.withLock { $0.messages.allow(now: Self.nowMicros) }
        guard allowed else {
            return try await refuse(
                .init(code: .rateLimited, message: "at most \(limits.messagesPerMinute) messages per minute"), rateLimited: true)
        }
        switch RealtimeClientMessage.parse(
            Array(text.utf8), maxBytes: limits.maxTextMessageBytes, maxChatTextScalars: limits.maxChatTextScalars)
        {
        case .failure(let error): try await refuse(error)
        case .success(let envelope): try await handle(envelope)
        }
    }

    func handle(_ envelope: RealtimeClientEnvelope) async throws {
        let id = envelope.correlationID
        guard let connection = connection.withLock({ $0 }) else {
            guard case .auth(let token) = envelope.message else {
                try await refuse(.init(code: .unauthorized, message: "send {\"type\":\"auth\",\"token\":…} first", correlationID: id))
                return
            }
            guard let caller = try? await endpoint.auth.authenticate(bearer: token) else {
                await endpoint.rejections.record(token: token, subject: nil, origin: origin)
                closeSocket(.unauthorized, "invalid token")
                return
            }
            try await open(caller)
            self.connection.withLock { $0 }?.send(RealtimeServerMessage.authenticated(correlationID: id).encoded())
            return
        }
        switch envelope.message {
        case .ping: connection.send(RealtimeServerMessage.pong(correlationID: id).encoded())
        case .status:
            connection.send(
                RealtimeServerMessage.status(subscriptions: await hub.subscriptions(of: connection), sessions: [], correlationID: id)
                    .encoded())
        case .subscribe(let subject, let types, let since):
            try await subscribe(connection, subject: subject, types: types, since: since, id: id)
        case .unsubscribe(let subject):
            _ = await hub.unsubscribe(connection, subject: subject)
            connection.send(RealtimeServerMessage.unsubscribed(subject: subject, correlationID: id).encoded())
        case .auth: try await refuse(.init(code: .invalidField, message: "already authenticated", field: "type", correlationID: id))
        case .sessionJoin(let session): try await join(connection, session: session, id: id)
        case .sessionLeave(let session): await hub.leave(connection, session: session)
        case .text(let session, let text):
            do { try await hub.post(text, from: connection, to: session) } catch {
                try await refuse(Self.sessionError(error, id: id))
            }
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
        let sent: Int
        do {
            sent = try await hub.join(connection, session: session, correlationID: id)
        } catch {
            return try await refuse(Self.sessionError(error, id: id))
        }
        guard await hub.check(connection.identity, subject.value) == .allowed else {
            await hub.revokeNow(connection, subject: subject.value)
            return
        }
        try await endpoint.access.audit.record(
            request.event(
                .sessionJoin, resourceType: "Communication", subject: subject.value, count: sent, outcome: .success,
                at: endpoint.access.nowMicroseconds))
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
