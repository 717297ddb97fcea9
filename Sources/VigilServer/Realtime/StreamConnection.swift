import Dispatch
import NIOCore
import Synchronization
import VigilCore

/// One authenticated WebSocket connection as the hub sees it: an id, its caller, and its channel.
///
/// Frames are written straight to the socket end of the NIO channel on its event loop — no task, queue
/// or copy per connection: a message is encoded as a complete WebSocket frame once (server frames are
/// unmasked, so every subscriber gets the same bytes), shared as one reference-counted `ByteBuffer`, and
/// ``StreamFanOut`` hands a whole event's deliveries to each event loop in one task. At most
/// `bufferLimit` frames may be written and not yet handed to the socket; a consumer too slow to keep
/// under that is closed with 4008 (never allowed to grow memory): ``send(_:)`` answers `false`.
final class StreamConnection: Sendable, Identifiable {
    let id: Int
    let identity: Identity
    let channel: any Channel
    let bufferLimit: Int
    /// The handler at the socket end of the pipeline that writes pre-encoded frames (touched on the event loop only).
    private let socket: NIOLoopBound<StreamSocket>
    private let heard: HeardClock
    /// Frames written whose write has not completed yet.
    private let outstanding = Atomic<Int>(0)
    private let closing = Atomic<Bool>(false)
    /// Sends the close frame (through the WebSocket handler, behind the frames already written).
    private let requestClose: @Sendable (RealtimeCloseCode, String) -> Void

    /// Installs the socket-end handler and makes the connection (on the channel's event loop).
    static func open(
        id: Int, identity: Identity, channel: any Channel, bufferLimit: Int,
        requestClose: @escaping @Sendable (RealtimeCloseCode, String) -> Void
    ) async throws -> StreamConnection {
        try await channel.eventLoop.submit {
            let socket = StreamSocket()
            try channel.pipeline.syncOperations.addHandler(socket, position: .first)
            return StreamConnection(
                id: id, identity: identity, channel: channel, bufferLimit: bufferLimit,
                socket: NIOLoopBound(socket, eventLoop: channel.eventLoop), heard: socket.heard, requestClose: requestClose)
        }.get()
    }

    private init(
        id: Int, identity: Identity, channel: any Channel, bufferLimit: Int, socket: NIOLoopBound<StreamSocket>, heard: HeardClock,
        requestClose: @escaping @Sendable (RealtimeCloseCode, String) -> Void
    ) {
        self.heard = heard
        self.id = id
        self.identity = identity
        self.channel = channel
        self.bufferLimit = bufferLimit
        self.socket = socket
        self.requestClose = requestClose
    }

    /// Writes a text message; `false` when the connection is closing or too far behind (it is then
    /// closed as a slow consumer).
    @discardableResult
    func send(_ message: [UInt8]) -> Bool {
        send(frame: WebSocketFrameBytes.encode(message, opcode: 0x1))
    }

    /// Writes a binary frame (session audio).
    @discardableResult
    func sendBinary(_ payload: [UInt8]) -> Bool {
        send(frame: WebSocketFrameBytes.encode(payload, opcode: 0x2))
    }

    /// Writes an encoded frame.
    @discardableResult
    func send(frame: ByteBuffer) -> Bool {
        guard admit() else { return false }
        channel.eventLoop.execute { self.write(frame, flush: true) }
        return true
    }

    /// Waits (polling every 2 ms) until at most half the send buffer is in flight, so a replay goes at the
    /// client's pace; `false` when the connection is closing, or after 30 s without room (it is then
    /// closed as a slow consumer).
    func waitForRoom() async throws -> Bool {
        let started = ContinuousClock.now
        while outstanding.load(ordering: .relaxed) >= max(1, bufferLimit / 2) {
            if isClosing { return false }
            if ContinuousClock.now - started > .seconds(30) {
                close(.slowConsumer, "slow consumer")
                return false
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        return !isClosing
    }

    /// Counts a frame in; on overflow closes the connection as a slow consumer.
    func admit() -> Bool {
        guard !closing.load(ordering: .relaxed) else { return false }
        if outstanding.wrappingAdd(1, ordering: .relaxed).newValue > bufferLimit {
            outstanding.wrappingSubtract(1, ordering: .relaxed)
            close(.slowConsumer, "slow consumer")
            return false
        }
        return true
    }

    /// Writes an admitted frame (on the channel's event loop); ``StreamFanOut`` flushes after its batch.
    func write(_ frame: ByteBuffer, flush: Bool) {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in self.outstanding.wrappingSubtract(1, ordering: .relaxed) }
        socket.value.write(frame, promise: promise)
        if flush { socket.value.flush() }
    }

    func flush() {
        socket.value.flush()
    }

    /// After the close frame (on the event loop): later frames are dropped at the socket end.
    func seal() {
        socket.value.sealed = true
    }

    /// Closes with `code` after the frames already written; later sends are dropped. A peer that does not
    /// answer the close (dead, or not reading) loses the connection 10 s later all the same.
    func close(_ code: RealtimeCloseCode, _ reason: String) {
        guard !closing.exchange(true, ordering: .relaxed) else { return }
        requestClose(code, reason)
        channel.eventLoop.scheduleTask(in: .seconds(10)) { [channel] in channel.close(promise: nil) }
    }

    var isClosing: Bool { closing.load(ordering: .relaxed) }

    /// Nanoseconds since the peer last sent anything (a message, a pong): the heartbeat's evidence.
    var silence: UInt64 { heard.silence }

    /// Sends a ping (a control frame: not counted against the send buffer).
    func ping() {
        guard !isClosing else { return }
        channel.eventLoop.execute {
            self.socket.value.write(WebSocketFrameBytes.ping, promise: nil)
            self.socket.value.flush()
        }
    }

    /// No more messages (the connection is closing).
    func finish() {
        closing.store(true, ordering: .relaxed)
    }
}

/// When a connection's peer last sent anything; shared by its socket handler (which notes every read)
/// and the heartbeat.
final class HeardClock: Sendable {
    private let last = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)

    func note() { last.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed) }

    var silence: UInt64 { DispatchTime.now().uptimeNanoseconds &- last.load(ordering: .relaxed) }
}

/// The handler at the socket end of a stream connection's pipeline: notes every read for the heartbeat
/// and writes pre-encoded WebSocket frames straight towards the socket, past the frame encoder.
final class StreamSocket: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    let heard = HeardClock()
    private var context: ChannelHandlerContext?
    /// The close frame was written: nothing more goes out.
    var sealed = false

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        heard.note()
        context.fireChannelRead(data)
    }

    func write(_ frame: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let context, !sealed else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(NIOAny(frame), promise: promise)
    }

    func flush() { context?.flush() }
}

/// Complete server-to-client WebSocket frames (RFC 6455 §5.2; servers do not mask).
enum WebSocketFrameBytes {
    static func encode(_ payload: some Collection<UInt8>, opcode: UInt8) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(payload.count + 10)
        buffer.writeInteger(0x80 | opcode)
        switch payload.count {
        case ..<126: buffer.writeInteger(UInt8(payload.count))
        case ..<65_536:
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(payload.count))
        default:
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(payload.count))
        }
        buffer.writeBytes(payload)
        return buffer
    }

    /// A ping whose payload is `vigil`.
    static let ping = encode(Array("vigil".utf8), opcode: 0x9)
}

/// Delivers one message to many connections: one task per event loop (not per connection) writes the
/// shared frame to each of its connections and flushes each once.
struct StreamFanOut {
    private var byLoop: [ObjectIdentifier: (loop: any EventLoop, connections: [StreamConnection])] = [:]

    /// Adds a delivery; `false` when the connection refused it (closing or too slow).
    mutating func add(_ connection: StreamConnection) -> Bool {
        guard connection.admit() else { return false }
        let loop = connection.channel.eventLoop
        byLoop[ObjectIdentifier(loop), default: (loop, [])].connections.append(connection)
        return true
    }

    /// Writes `message` (a text message, encoded into one frame for all) to every connection added.
    func send(_ message: [UInt8]) {
        let frame = WebSocketFrameBytes.encode(message, opcode: 0x1)
        for (_, batch) in byLoop {
            let connections = batch.connections
            batch.loop.execute {
                for connection in connections { connection.write(frame, flush: false) }
                for connection in connections { connection.flush() }
            }
        }
    }
}

/// Server → client messages of the stream protocol, as JSON text.
enum StreamMessages {
    /// `{"type":"sample","cursor":N,"subject":…,"samples":[…]}` — one message per committed batch; `nil` when
    /// a type filter leaves nothing.
    static func sample(_ event: SampleEvent, types: Set<String>?) -> [UInt8]? {
        var samples = Array(event.samplesJSON.utf8)
        if let types {
            guard case .array(let items) = (try? JSONParser.parse(samples)) ?? .null else { return nil }
            let kept = items.filter { item in
                if case .string(let type)? = item["type"] { return types.contains(type) }
                return false
            }
            guard !kept.isEmpty else { return nil }
            samples = []
            JSONValue.array(kept).appendCanonical(to: &samples)
        }
        var out = [UInt8](#"{"type":"sample","cursor":"#.utf8)
        out += String(event.cursor).utf8
        out += #","subject":"#.utf8
        JSONValue.appendQuoted(event.subject, to: &out)
        out += #","samples":"#.utf8
        out += samples
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"type":"subscribed","subject","cursor","types"?,"id"?}`: `cursor` is where the live stream starts.
    static func subscribed(_ subject: String, cursor: Int64, types: Set<String>?, id: String?) -> [UInt8] {
        var fields: [String: JSONValue] = ["type": .string("subscribed"), "subject": .string(subject), "cursor": .integer(cursor)]
        if let types { fields["types"] = .array(types.sorted().map(JSONValue.string)) }
        if let id { fields["id"] = .string(id) }
        var out = [UInt8]()
        JSONValue.object(fields).appendCanonical(to: &out)
        return out
    }
}
