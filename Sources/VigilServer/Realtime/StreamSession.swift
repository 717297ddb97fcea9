import Foundation
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import VigilCore

/// What a stream connection's frame handler passes to its session, in order.
enum StreamInbound: Sendable {
    /// Authenticated by the upgrade request's header, whose token expires at `expiresAt` (hub clock, µs).
    case open(Identity, expiresAt: Int64)
    case text(String)
    case binary([UInt8])
    /// A text message over the size limit (not copied).
    case oversized
    /// The channel closed; always last.
    case closed

    var size: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes): bytes.count
        default: 0
        }
    }
}

/// One WebSocket connection: authenticates it and answers client messages in order.
///
/// Messages wait in a small mailbox; a task runs only while it holds messages, so an idle connection has
/// no task at all. Replies and events are written by ``StreamConnection``; close frames here.
final class StreamSession: Sendable {
    let id: Int
    let endpoint: StreamEndpoint
    let origin: AuditEvent.Origin
    /// The connection's slot in the endpoint's ``ConnectionBudget``.
    let slot: Int
    let channel: any Channel
    let connection = Mutex<StreamConnection?>(nil)
    let policing: Mutex<(messages: TokenBucket, audio: TokenBucket, abuse: AbusePolicy)>
    private let inbox = Mutex(Inbox())
    /// The server sent its close frame (the client's answer then ends the connection).
    let closeSent = Atomic<Bool>(false)
    /// Messages waiting at most, and their bytes; a client that sends faster than they are handled is
    /// closed (1008).
    static let maxWaiting = 64
    static let maxWaitingBytes = 4 << 20
    let authDeadline = Mutex<Scheduled<Void>?>(nil)

    struct Inbox {
        var queue = CircularBuffer<StreamInbound>()
        var bytes = 0
        var running = false
        var closed = false
    }

    init(id: Int, endpoint: StreamEndpoint, channel: any Channel, origin: AuditEvent.Origin, slot: Int) {
        self.id = id
        self.slot = slot
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
    func start(identity: Identity?, expiresAt: Int64) {
        if let identity {
            enqueue(.open(identity, expiresAt: expiresAt))
            return
        }
        // Closes the socket with 4001 if no identity arrived within the auth timeout.
        let deadline = channel.eventLoop.scheduleTask(in: .microseconds(limits.authTimeout)) { [self] in
            guard connection.withLock({ $0 }) == nil, !closeSent.load(ordering: .relaxed), channel.isActive else { return }
            Task { await endpoint.rejections.record(token: nil, subject: nil, origin: origin) }
            closeSocket(.unauthorized, "authentication timeout")
        }
        authDeadline.withLock { $0 = deadline }
    }

    /// Queues a message from the frame handler; starts the task that handles them when none runs.
    func enqueue(_ message: StreamInbound) {
        let (start, overflow): (Bool, Bool) = inbox.withLock { inbox in
            guard !inbox.closed else { return (false, false) }
            if case .closed = message {
                inbox.closed = true
            } else if inbox.queue.count >= Self.maxWaiting || inbox.bytes + message.size > Self.maxWaitingBytes {
                return (false, true)
            }
            inbox.queue.append(message)
            inbox.bytes += message.size
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
            let next = inbox.queue.removeFirst()
            inbox.bytes -= next.size
            return next
        }) {
            switch next {
            case .open(let identity, let expiresAt): try? await open(identity, expiresAt: expiresAt)
            case .text, .binary, .oversized: try? await receive(next)
            case .closed: await finish()
            }
        }
    }

    /// The channel closed: leaves the hub.
    private func finish() async {
        authDeadline.withLock { $0?.cancel() }
        if let connection = connection.withLock({ $0 }) {
            connection.finish()
            await hub.close(connection)
        }
    }

    /// Sends a close frame (behind the frames already written) and closes the channel 10 s later if the
    /// client has not answered by then.
    func closeSocket(_ code: RealtimeCloseCode, _ reason: String) {
        guard !closeSent.exchange(true, ordering: .relaxed) else { return }
        var payload = ByteBuffer()
        payload.writeInteger(code.rawValue)
        payload.writeString(reason)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
        let connection = connection.withLock { $0 }
        connection?.finish()
        // Nothing is written after the close frame (RFC 6455 §5.5.1), also not frames admitted just before.
        channel.eventLoop.execute { [channel] in
            channel.writeAndFlush(frame, promise: nil)
            connection?.seal()
        }
        channel.eventLoop.scheduleTask(in: .seconds(10)) { [channel] in channel.close(promise: nil) }
    }

    /// The server is shutting down: closes with 1001 (through the hub's connection when there is one).
    func shutDown() {
        if let connection = connection.withLock({ $0 }) {
            connection.close(.goingAway, "server shutting down")
        } else {
            closeSocket(.goingAway, "server shutting down")
        }
    }

    /// Writes a text frame outside the hub's path (before authentication).
    func writeText(_ bytes: [UInt8]) {
        let frame = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: bytes))
        channel.eventLoop.execute { [channel] in channel.writeAndFlush(frame, promise: nil) }
    }

    /// Registers an authenticated caller with the hub; the stream ends (4001) at `expiresAt` (hub clock, µs)
    /// unless it re-authenticates.
    func open(_ caller: Identity, expiresAt: Int64) async throws {
        // Known only now for a socket that authenticated with its `auth` message (a header was counted at the upgrade).
        if let refusal = endpoint.authenticate(slot: slot, as: caller.username.value) {
            closeSocket(.tooManyConnections, refusal.message)
            return
        }
        let connection = try await StreamConnection.open(
            id: id, identity: caller, channel: channel, bufferLimit: limits.sendBufferMessages,
            requestClose: { [self] code, reason in closeSocket(code, reason) })
        do {
            try await hub.open(connection, expiresAt: expiresAt)
        } catch {
            closeSocket(.goingAway, "this node is full")
            return
        }
        self.connection.withLock { $0 = connection }
        authDeadline.withLock { $0?.cancel() }
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
        if case .oversized = message {
            return try await refuse(.init(code: .tooLarge, message: "text messages are at most \(limits.maxTextMessageBytes) bytes"))
        }
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
}
