import NIOCore
import NIOWebSocket

/// The last handler of an upgraded stream connection (after NIO's frame decoder and aggregator): answers
/// pings, completes the closing handshake, closes on shutdown, and hands text and binary messages to
/// the session's mailbox.
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
            // Over the limit: refused without copying it.
            if frame.length > session.limits.maxTextMessageBytes {
                session.enqueue(.oversized)
            } else if let text = String(validating: frame.unmaskedData.readableBytesView, as: UTF8.self) {
                session.enqueue(.text(text))
            } else {
                // RFC 6455 §8.1: a text message that is not UTF-8 fails the connection.
                session.closeSocket(.invalidPayload, "text message is not valid UTF-8")
            }
        case .binary:
            session.enqueue(.binary(Array(buffer: frame.unmaskedData)))
        case .ping:
            // A peer that floods pings and does not read gets no more pongs than the socket takes.
            guard context.channel.isWritable else { return }
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
                let bound = context.loopBound
                context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in bound.value.close(promise: nil) }
            }
        default:
            break  // pongs (the heartbeat notes every read at the socket end) and continuation frames (aggregated)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // The server is shutting down: close (1001), with the 10 s limit on the peer's answer.
            session.shutDown()
            return
        }
        if case .inputClosed? = event as? ChannelEvent {
            // The peer shut its side down without a close frame: nothing more can arrive, so the connection (and
            // its slots in the endpoint's budget) ends now, not at the next heartbeat.
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.enqueue(.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A message of too many fragments or bytes gets a close frame (1009); anything else ends the connection
        // (NIO's protocol error handler already sent its close frame for malformed frames).
        if error is NIOWebSocketFrameAggregator.Error {
            session.closeSocket(.messageTooBig, "message too big")
        } else {
            context.close(promise: nil)
        }
    }
}
