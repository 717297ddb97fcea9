import NIOCore

/// Everything one event loop's connections record; touched only on that loop (wrapped in `NIOLoopBound`),
/// merged by the main thread at the end.
final class LoopStats {
    var ready = 0
    var failed = 0  // gave up connecting, or closed before subscribing
    var closedByServer = 0
    var otherMessages = 0
    var pings = 0
    var firstOther: String?
    /// cursor → receipt times (monotonic ns), one per connection that received it.
    var received: [Int64: [UInt64]] = [:]
    var handlers: [StreamClientHandler] = []
}

/// One `/v1/stream` client connection: HTTP upgrade by hand, then raw WebSocket frames.
final class StreamClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State { case handshaking, open, closing, closed }

    private let stats: LoopStats
    private let request: [UInt8]
    private let subscribe: [UInt8]
    private let handshake: EventLoopPromise<Void>
    private var state = State.handshaking
    private var context: ChannelHandlerContext?
    private var cumulation: ByteBuffer?
    private var fragments: [UInt8]?  // payload of an unfinished fragmented text message
    private var subscribed = false
    private var upgraded = false

    init(stats: LoopStats, request: [UInt8], subscribe: [UInt8], handshake: EventLoopPromise<Void>) {
        self.stats = stats
        self.request = request
        self.subscribe = subscribe
        self.handshake = handshake
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: request.count)
        buffer.writeBytes(request)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .handshaking: handshake.fail(ChannelError.eof)
        case .open: stats.closedByServer += 1
        case .closing, .closed: break
        }
        if upgraded && !subscribed { stats.failed += 1 }
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if cumulation == nil {
            cumulation = incoming
        } else {
            cumulation!.writeBuffer(&incoming)
        }
        if state == .handshaking && !finishHandshake(context: context) { return }
        guard state == .open || state == .closing, cumulation != nil else { return }
        var actions: [FrameAction] = []
        let consumed = cumulation!.withUnsafeReadableBytes { parseFrames($0, actions: &actions) }
        cumulation!.moveReaderIndex(forwardBy: consumed)
        if cumulation!.readableBytes == 0 {
            cumulation = nil
        } else if cumulation!.readerIndex > 65536 {
            cumulation!.discardReadBytes()
        }
        for action in actions { perform(action, context: context) }
    }

    /// Reads the response head; false while it is incomplete or when the upgrade failed.
    private func finishHandshake(context: ChannelHandlerContext) -> Bool {
        let end: Int? = cumulation!.withUnsafeReadableBytes { bytes in
            guard bytes.count >= 4 else { return nil }
            for index in 0...(bytes.count - 4)
            where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
                return index + 4
            }
            return nil
        }
        guard let end else {
            if cumulation!.readableBytes > 65536 { failHandshake(context: context, "response head too long") }
            return false
        }
        let head = cumulation!.readString(length: end) ?? ""
        guard head.hasPrefix("HTTP/1.1 101") else {
            let status = head.split(separator: "\r\n").first ?? ""
            failHandshake(context: context, String(status))
            return false
        }
        state = .open
        upgraded = true
        handshake.succeed(())
        stats.handlers.append(self)
        sendFrame(opcode: 0x1, payload: subscribe, context: context)
        return true
    }

    private func failHandshake(context: ChannelHandlerContext, _ reason: String) {
        state = .closed
        cumulation = nil
        handshake.fail(HandshakeError(reason: reason))
        context.close(promise: nil)
    }

    // MARK: Frames

    private enum FrameAction {
        case pong([UInt8])
        case close([UInt8])
        case protocolError
    }

    /// Parses every complete frame in `bytes`, records messages, returns the bytes consumed.
    private func parseFrames(_ bytes: UnsafeRawBufferPointer, actions: inout [FrameAction]) -> Int {
        var offset = 0
        while bytes.count - offset >= 2 {
            let b0 = bytes[offset], b1 = bytes[offset + 1]
            var headerLength = 2
            var length = Int(b1 & 0x7F)
            if length == 126 {
                guard bytes.count - offset >= 4 else { break }
                length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
                headerLength = 4
            } else if length == 127 {
                guard bytes.count - offset >= 10 else { break }
                var value: UInt64 = 0
                for index in 2..<10 { value = value << 8 | UInt64(bytes[offset + index]) }
                guard value < UInt64(1 << 40) else { actions.append(.protocolError); return bytes.count }
                length = Int(value)
                headerLength = 10
            }
            let masked = b1 & 0x80 != 0
            if masked { headerLength += 4 }
            guard bytes.count - offset >= headerLength + length else { break }
            let start = offset + headerLength
            offset = start + length
            let payload = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
            var unmasked: [UInt8] = []
            if masked {  // servers must not mask; tolerate it anyway
                let key = (0..<4).map { bytes[start - 4 + $0] }
                unmasked = payload.enumerated().map { $0.element ^ key[$0.offset & 3] }
            }
            let fin = b0 & 0x80 != 0
            let opcode = b0 & 0x0F
            if masked {
                unmasked.withUnsafeBytes { handle(opcode: opcode, fin: fin, payload: $0, actions: &actions) }
            } else {
                handle(opcode: opcode, fin: fin, payload: payload, actions: &actions)
            }
        }
        return offset
    }

    private func handle(opcode: UInt8, fin: Bool, payload: UnsafeRawBufferPointer, actions: inout [FrameAction]) {
        switch opcode {
        case 0x1 where fin:
            record(payload)
        case 0x1:
            fragments = Array(payload)
        case 0x0:
            guard fragments != nil else { actions.append(.protocolError); return }
            fragments! += payload
            if fin {
                fragments!.withUnsafeBytes { record($0) }
                fragments = nil
            }
        case 0x2: break
        case 0x9: actions.append(.pong(Array(payload)))
        case 0xA: break
        case 0x8: actions.append(.close(Array(payload.prefix(2))))
        default: actions.append(.protocolError)
        }
    }

    @inline(__always)
    private func record(_ message: UnsafeRawBufferPointer) {
        let now = monotonicNanos()
        switch classify(message) {
        case .sample(let cursor):
            stats.received[cursor, default: []].append(now)
        case .subscribed:
            if !subscribed {
                subscribed = true
                stats.ready += 1
            }
        case .other:
            stats.otherMessages += 1
            if stats.firstOther == nil { stats.firstOther = String(decoding: message.prefix(300), as: UTF8.self) }
        }
    }

    private func perform(_ action: FrameAction, context: ChannelHandlerContext) {
        switch action {
        case .pong(let payload):
            if state == .open {
                stats.pings += 1
                sendFrame(opcode: 0xA, payload: payload, context: context)
            }
        case .close(let code):
            if state == .open {
                stats.closedByServer += 1
                sendFrame(opcode: 0x8, payload: code, context: context)
            }
            state = .closed
            context.close(promise: nil)
        case .protocolError:
            state = .closed
            context.close(promise: nil)
        }
    }

    /// Sends a close frame (1000) and closes the channel once the server answers, or after `timeout`.
    func initiateClose(timeout: TimeAmount) -> EventLoopFuture<Void>? {
        guard state == .open, let context else { return nil }
        state = .closing
        sendFrame(opcode: 0x8, payload: [0x03, 0xE8], context: context)
        let channel = context.channel
        let force = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        channel.closeFuture.whenComplete { _ in force.cancel() }
        return channel.closeFuture
    }

    /// Writes one masked frame (clients must mask) and flushes.
    private func sendFrame(opcode: UInt8, payload: [UInt8], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: payload.count + 14)
        buffer.writeInteger(0x80 | opcode)
        if payload.count < 126 {
            buffer.writeInteger(UInt8(0x80 | payload.count))
        } else if payload.count <= 0xFFFF {
            buffer.writeInteger(UInt8(0x80 | 126))
            buffer.writeInteger(UInt16(payload.count))
        } else {
            buffer.writeInteger(UInt8(0x80 | 127))
            buffer.writeInteger(UInt64(payload.count))
        }
        let key = UInt32.random(in: .min ... .max)
        buffer.writeInteger(key)
        let mask = [UInt8(key >> 24), UInt8(key >> 16 & 0xFF), UInt8(key >> 8 & 0xFF), UInt8(key & 0xFF)]
        for (index, byte) in payload.enumerated() { buffer.writeInteger(byte ^ mask[index & 3]) }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
}

struct HandshakeError: Error, CustomStringConvertible {
    let reason: String
    var description: String { "upgrade failed: \(reason)" }
}
