import NIOCore
import NIOWebSocket

/// The last handler of an upgraded stream connection (after NIO's frame decoder and aggregator): answers
/// pings, completes the closing handshake, and hands text and binary messages to the session's mailbox.
final class StreamFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let session: StreamSession

    init(session: StreamSession) {
        self.session = session
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            session.enqueue(.text(String(buffer: frame.unmaskedData)))
        case .binary:
            session.enqueue(.binary(Array(buffer: frame.unmaskedData)))
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            // Our close answered, or the client's to answer (echoing its code): either way the connection ends.
            if session.closeSent.exchange(true, ordering: .relaxed) {
                context.close(promise: nil)
            } else {
                var payload = frame.unmaskedData
                let code = payload.readSlice(length: 2) ?? ByteBuffer()
                let reply = WebSocketFrame(fin: true, opcode: .connectionClose, data: code)
                context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in context.close(promise: nil) }
            }
        default:
            break  // pongs (the heartbeat notes every read at the socket end) and continuation frames (aggregated)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.enqueue(.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Protocol errors were answered by NIO's WebSocketProtocolErrorHandler; anything else ends the connection.
        context.close(promise: nil)
    }
}
