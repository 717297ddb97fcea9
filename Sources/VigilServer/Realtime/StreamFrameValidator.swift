import NIOCore
import NIOWebSocket
import VigilCore

/// Checks each frame as it arrives, before fragments are joined, for what RFC 6455 requires of a client
/// and NIO's decoder leaves to the application: masked frames (§5.1), no reserved bits without an
/// extension (§5.2), no reserved opcodes, and a well-formed close frame (§5.5.1, §7.4). A breach gets a
/// close frame with 1002 (or 1007 for a close reason that is not UTF-8) and nothing after it is read.
final class StreamFrameValidator: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    let session: StreamSession
    private var failed = false

    init(session: StreamSession) {
        self.session = session
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        // After a breach only the peer's answer to our close frame matters (it ends the connection).
        guard !failed || frame.opcode == .connectionClose else { return }
        if !failed, let (code, reason) = Self.breach(frame) {
            failed = true
            session.closeSocket(code, reason)
            return
        }
        context.fireChannelRead(data)
    }

    /// What is wrong with a client frame, if anything.
    static func breach(_ frame: WebSocketFrame) -> (RealtimeCloseCode, String)? {
        if frame.maskKey == nil { return (.protocolError, "client frames must be masked") }
        if frame.rsv1 || frame.rsv2 || frame.rsv3 { return (.protocolError, "reserved bits set without an extension") }
        switch frame.opcode {
        case .continuation, .text, .binary, .ping, .pong: return nil
        case .connectionClose: return closeBreach(frame.unmaskedData)
        default: return (.protocolError, "reserved opcode")
        }
    }

    /// A close payload is empty, or a valid code (§7.4) followed by a UTF-8 reason.
    private static func closeBreach(_ payload: ByteBuffer) -> (RealtimeCloseCode, String)? {
        var payload = payload
        guard payload.readableBytes > 0 else { return nil }
        guard let code = payload.readInteger(as: UInt16.self) else { return (.protocolError, "close payload of one byte") }
        let allowed = (1000...1003).contains(code) || (1007...1014).contains(code) || (3000...4999).contains(code)
        guard allowed else { return (.protocolError, "close code \(code) may not be sent") }
        guard String(validating: payload.readableBytesView, as: UTF8.self) != nil else {
            return (.invalidPayload, "close reason is not valid UTF-8")
        }
        return nil
    }
}
