import Foundation
import NIOCore
import NIOHTTP1
import VigilCore

/// Time limits a client must keep to while it sends a request.
public struct HTTPEdgeLimits: Sendable, Equatable {
    /// From the moment a connection is accepted, its first request head (request line and headers,
    /// WebSocket upgrades included) must have arrived within this time.
    public var firstHeadTimeout: TimeAmount = .seconds(10)
    /// Between the parts of a request body: a body that stops arriving for this long ends the connection.
    public var bodyStallTimeout: TimeAmount = .seconds(30)
    /// After a response, the next request head must have arrived within this time (keep-alive idle).
    public var keepAliveTimeout: TimeAmount = .seconds(75)

    public init() {}
}

/// The first handler after the HTTP/1 decoder: it answers what Hummingbird never sees.
///
/// - A request the parser refuses (overflowing or negative `Content-Length`, `Content-Length` with
///   chunked, bad chunk sizes, too many or too large headers, a garbage request line…) gets a `400`
///   (`431` for headers) in the API's error shape, and the connection is closed: without this the
///   connection stayed open with no answer.
/// - A head that does not arrive in time (slowloris) gets a `408` and is closed; a body that stops
///   arriving closes the connection.
///
/// When a connection is upgraded to a WebSocket, ``upgraded()`` turns it into a pass-through.
final class HTTPEdgeGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: HTTPEdgeLimits
    private var responding = false
    private var inBody = false
    private var deadline: Scheduled<Void>?
    private var finished = false
    /// After a WebSocket upgrade: frames pass through untouched and no deadline applies.
    private var passThrough = false

    init(limits: HTTPEdgeLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(context, limits.firstHeadTimeout, answer: true)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    /// The connection became a WebSocket (called on its event loop before any frame is read).
    func upgraded() {
        passThrough = true
        disarm()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !passThrough else {
            context.fireChannelRead(data)
            return
        }
        switch unwrapInboundIn(data) {
        case .head:
            inBody = true
            arm(context, limits.bodyStallTimeout, answer: false)
        case .body:
            arm(context, limits.bodyStallTimeout, answer: false)
        case .end:
            inBody = false
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !passThrough else {
            context.write(data, promise: promise)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200: responding = true
        case .end:
            responding = false
            // The next request must come within the keep-alive time (its body, once it starts, is timed by parts).
            if !inBody { arm(context, limits.keepAliveTimeout, answer: false) }
        default: break
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !passThrough, let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        // Parser errors are fatal for the connection; they are answered here and not passed on, so the
        // application does not answer them a second time.
        let refusal: VigilError
        switch parserError {
        case .headerOverflow:
            refusal = VigilError(.badRequest, code: "headers_too_large", message: "the request line and headers exceed 80 KiB or 1,000 fields")
        default:
            refusal = VigilError(.badRequest, code: "malformed_request", message: "the request is not valid HTTP/1.1 (\(parserError))")
        }
        answerAndClose(context, refusal, status: parserError == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest)
    }

    private func arm(_ context: ChannelHandlerContext, _ timeout: TimeAmount, answer: Bool) {
        deadline?.cancel()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            handler.deadline = nil
            if answer || (!handler.inBody && !handler.responding) {
                handler.answerAndClose(
                    context, VigilError(.badRequest, code: "request_timeout", message: "the request did not arrive in time"),
                    status: .requestTimeout)
            } else {
                // Mid-request: the application owns the response; ending the connection ends its read.
                handler.finished = true
                context.close(promise: nil)
            }
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }

    private func answerAndClose(_ context: ChannelHandlerContext, _ error: VigilError, status: HTTPResponseStatus) {
        guard !finished else { return }
        finished = true
        disarm()
        guard !responding else {
            context.close(promise: nil)
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let requestID = UUID().uuidString.lowercased()
        let bytes = (try? encoder.encode(APIErrorResponse.body(for: error, requestID: requestID))) ?? Data()
        let headers = HTTPHeaders([
            ("Content-Type", "application/json; charset=utf-8"), ("Content-Length", String(bytes.count)), ("Connection", "close"),
            ("X-Request-ID", requestID),
        ])
        responding = true
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
