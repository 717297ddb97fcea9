import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import VigilCore

/// HTTP/1 for the API, and the WebSocket upgrade of `/v1/stream` served by plain NIO channel handlers.
///
/// Hummingbird's own WebSocket channel runs every connection in a task with an async reader, writer and
/// ping timer (24 KiB per idle connection before any application state). Here an upgraded connection is
/// just its channel: the frame handler hands messages to the session's mailbox, which starts a task only
/// while there is something to process, and the hub writes frames straight to the socket.
struct StreamHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    enum UpgradeResult: Sendable {
        case websocket
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case failedUpgrade(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, VigilError)
    }

    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let channel: any Channel
    }

    /// Answers requests; redirects an upgrade asked for after a connection's first request (see ``upgradeAware(_:)``).
    let responder: HTTPChannelHandler.Responder
    let endpoint: StreamEndpoint
    let idleTimeout: Duration
    let edgeLimits: HTTPEdgeLimits

    init(
        responder: @escaping HTTPChannelHandler.Responder, endpoint: StreamEndpoint, idleTimeout: Duration,
        edgeLimits: HTTPEdgeLimits = HTTPEdgeLimits()
    ) {
        self.responder = Self.upgradeAware(responder)
        self.endpoint = endpoint
        self.idleTimeout = idleTimeout
        self.edgeLimits = edgeLimits
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let decision = NIOLoopBoundBox<Result<StreamEndpoint.Decision, VigilError>?>(nil, eventLoop: channel.eventLoop)
            let edgeGuard = NIOLoopBound(HTTPEdgeGuard(limits: edgeLimits), eventLoop: channel.eventLoop)
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                maxFrameSize: endpoint.limits.maxAudioFrameBytes,
                shouldUpgrade: { [endpoint] channel, head in
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    promise.completeWithTask {
                        let decided = await endpoint.decide(head, channel: channel)
                        try await channel.eventLoop.submit {
                            decision.value = decided
                            // Before NIO removes the decoder (which forwards bytes that followed the request as
                            // raw bytes): from here on the guard passes everything through.
                            if case .success = decided { edgeGuard.value.upgraded() }
                        }.get()
                        guard case .success = decided else { return nil }
                        return [:]
                    }
                    return promise.futureResult
                },
                upgradePipelineHandler: { [endpoint] channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        edgeGuard.value.upgraded()
                        guard case .success(let decided)? = decision.value else { throw ChannelError.inappropriateOperationForState }
                        try endpoint.accept(channel, decision: decided)
                        return UpgradeResult.websocket
                    }
                })
            let configuration = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: .init(idleTimeout), logger: logger))
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        // A refused upgrade is answered here with the API's error (the request itself is not passed on).
                        if case .failure(let refusal)? = decision.value { return UpgradeResult.failedUpgrade(asyncChannel, refusal) }
                        return UpgradeResult.notUpgraded(asyncChannel)
                    }
                })
            var pipeline = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(upgradeConfiguration: configuration)
            pipeline.enablePipelining = false
            pipeline.enableErrorHandling = false  // HTTPEdgeGuard answers parser errors, in the API's error shape
            pipeline.enableResponseHeaderValidation = false
            pipeline.decoderConfiguration.maxHeaderFieldCount = 1_000  // Hummingbird's limit
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: pipeline)
            // The guard sits right after the decoder; an upgrade turns it into a pass-through before any frame flows.
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(edgeGuard.value, position: .after(decoder))
            return Value(upgradeResult: result, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .notUpgraded(let http1):
                await handleHTTP(asyncChannel: http1, logger: logger)
            case .failedUpgrade(let http1, let refusal):
                await Self.refuse(http1, refusal)
            case .websocket:
                // The connection lives on in its channel handlers; no task waits for it.
                return
            }
        } catch {
            logger.debug("connection ended before its first request", metadata: ["error": "\(error)"])
            try? await value.channel.close()
        }
    }

    /// Answers a refused upgrade with the API's error shape and closes the connection.
    static func refuse(_ channel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, _ error: VigilError) async {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let requestID = "ws-" + UUID().uuidString.lowercased()
        let body = ByteBuffer(bytes: (try? encoder.encode(APIErrorResponse.body(for: error, requestID: requestID))) ?? Data())
        var headers = APIErrorResponse.headers(for: error)
        headers[.connection] = "close"
        headers[.requestID] = requestID
        headers[.contentLength] = String(body.readableBytes)
        try? await channel.executeThenClose { _, outbound in
            try await outbound.write(contentsOf: [
                .head(HTTPResponse(status: APIErrorResponse.status(for: error.kind), headerFields: headers)), .body(body), .end(nil),
            ])
        }
    }

    /// A request carrying `Upgrade: websocket` after the first request of a connection cannot be upgraded
    /// (NIO upgrades only the first): it is redirected to itself on a new connection, as Hummingbird does.
    static func upgradeAware(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        struct RedirectClose: Error {}
        return { request, responseWriter, channel in
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                return try await responder(request, responseWriter, channel)
            }
            var path = request.uri.path
            if let query = request.uri.query { path += "?\(query)" }
            let response = HTTPResponse(
                status: .temporaryRedirect,
                headerFields: [.connection: "close", .location: path, .requestID: UUID().uuidString.lowercased(), .contentLength: "0"])
            try await responseWriter.writeResponse(response)
            throw RedirectClose()
        }
    }
}
