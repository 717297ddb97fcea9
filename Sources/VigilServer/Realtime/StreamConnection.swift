import Dispatch
import NIOCore
import NIOWebSocket
import Synchronization
import VigilCore

/// One authenticated WebSocket connection as the hub sees it: an id, its caller, and its channel.
///
/// Frames are written straight to the NIO channel on its event loop — no task, queue or copy per
/// connection: a message shared by many subscribers is one `ByteBuffer` (reference counted) and
/// ``StreamFanOut`` hands a whole event's deliveries to each event loop in one task. At most
/// `bufferLimit` frames may be written and not yet handed to the socket; a consumer too slow to keep
/// under that is closed with 4008 (never allowed to grow memory): ``send(_:)`` answers `false`.
final class StreamConnection: Sendable, Identifiable {
    let id: Int
    let identity: Identity
    let channel: any Channel
    let bufferLimit: Int
    /// Frames written whose write has not completed yet.
    private let outstanding = Atomic<Int>(0)
    /// When the peer last sent anything (a message, a pong), uptime nanoseconds: the heartbeat's evidence.
    private let lastHeard = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)
    private let closing = Atomic<Bool>(false)
    /// Sends the close frame (through the WebSocket handler, behind the frames already written).
    private let requestClose: @Sendable (RealtimeCloseCode, String) -> Void

    init(
        id: Int, identity: Identity, channel: any Channel, bufferLimit: Int,
        requestClose: @escaping @Sendable (RealtimeCloseCode, String) -> Void
    ) {
        self.id = id
        self.identity = identity
        self.channel = channel
        self.bufferLimit = bufferLimit
        self.requestClose = requestClose
    }

    /// Writes a text message; `false` when the connection is closing or too far behind (it is then
    /// closed as a slow consumer).
    @discardableResult
    func send(_ message: [UInt8]) -> Bool {
        send(ByteBuffer(bytes: message))
    }

    @discardableResult
    func send(_ message: ByteBuffer) -> Bool {
        guard admit() else { return false }
        let frame = Self.frame(message, opcode: .text)
        channel.eventLoop.execute { self.write(frame) }
        return true
    }

    /// Writes a binary frame (session audio).
    @discardableResult
    func sendBinary(_ frame: [UInt8]) -> Bool {
        guard admit() else { return false }
        let frame = Self.frame(ByteBuffer(bytes: frame), opcode: .binary)
        channel.eventLoop.execute { self.write(frame) }
        return true
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

    /// Writes and flushes on the channel's event loop (called there).
    func write(_ frame: WebSocketFrame) {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in self.outstanding.wrappingSubtract(1, ordering: .relaxed) }
        channel.writeAndFlush(frame, promise: promise)
    }

    /// Writes without flushing (``StreamFanOut`` flushes once per connection after its batch).
    func writeBuffered(_ frame: WebSocketFrame) {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in self.outstanding.wrappingSubtract(1, ordering: .relaxed) }
        channel.write(frame, promise: promise)
    }

    /// Closes with `code` after the frames already written; later sends are dropped.
    func close(_ code: RealtimeCloseCode, _ reason: String) {
        guard !closing.exchange(true, ordering: .relaxed) else { return }
        requestClose(code, reason)
    }

    var isClosing: Bool { closing.load(ordering: .relaxed) }

    /// Notes that the peer sent something (called by ``StreamActivity`` on every read).
    func heard() {
        lastHeard.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
    }

    /// Nanoseconds since the peer last sent anything.
    var silence: UInt64 { DispatchTime.now().uptimeNanoseconds &- lastHeard.load(ordering: .relaxed) }

    /// Sends a ping (a control frame: not counted against the send buffer).
    func ping() {
        guard !isClosing else { return }
        let frame = WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(bytes: [0x76, 0x69, 0x67, 0x69, 0x6C]))
        channel.eventLoop.execute { self.channel.writeAndFlush(frame, promise: nil) }
    }

    /// Starts noting reads: a handler at the front of the channel's pipeline.
    func watchActivity() async throws {
        try await channel.eventLoop.submit {
            try self.channel.pipeline.syncOperations.addHandler(StreamActivity(connection: self), position: .first)
        }.get()
    }

    /// No more messages (the connection is closing).
    func finish() {
        closing.store(true, ordering: .relaxed)
    }

    static func frame(_ payload: ByteBuffer, opcode: WebSocketOpcode) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: opcode, data: payload)
    }
}

/// Sees every read of a stream connection before the WebSocket decoder does, for the heartbeat.
final class StreamActivity: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let connection: StreamConnection

    init(connection: StreamConnection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.heard()
        context.fireChannelRead(data)
    }
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

    /// Writes `message` to every connection added.
    func send(_ message: ByteBuffer) {
        let frame = StreamConnection.frame(message, opcode: .text)
        for (_, batch) in byLoop {
            let connections = batch.connections
            batch.loop.execute {
                for connection in connections { connection.writeBuffered(frame) }
                for connection in connections { connection.channel.flush() }
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
