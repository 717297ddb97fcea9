import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization
import VigilCore
import VigilStorage

/// `GET /v1/stream` upgraded to a WebSocket. The token comes in the `Authorization` header or as the first
/// message (`{"type":"auth","token":…}` within 5 s) — never in the URL. Subscriptions pass the same
/// ``AccessControl`` as HTTP reads and are audited as `sample.read`.
final class StreamEndpoint: Sendable {
    let hub: StreamHub
    let auth: AuthService
    let access: AccessControl
    let events: SampleEventLog
    let limits: RealtimeLimits
    let rejections: RejectedTokenAudit
    let audio: SessionAudioBus
    let logger: Logger
    private let state = Mutex(State())

    struct State {
        var nextID = 0
        var open = 0
    }

    init(
        hub: StreamHub, auth: AuthService, access: AccessControl, events: SampleEventLog, limits: RealtimeLimits,
        rejections: RejectedTokenAudit, audio: SessionAudioBus, logger: Logger
    ) {
        self.hub = hub
        self.rejections = rejections
        self.audio = audio
        self.logger = logger
        self.auth = auth
        self.access = access
        self.events = events
        self.limits = limits
    }

    var openConnections: Int { state.withLock { $0.open } }

    /// Decides an upgrade. Anything not upgraded here (another path, a full node, a bad token) goes on to
    /// the HTTP router, which answers it with the API's error shape.
    func shouldUpgrade(
        _ request: HTTPRequest, channel: any Channel
    ) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let path = request.path, path == "/v1/stream" || path.hasPrefix("/v1/stream?") else { return .dontUpgrade }
        guard openConnections < limits.maxConnectionsPerNode else { return .dontUpgrade }
        var identity: Identity?
        if let header = request.headerFields[.authorization] {
            guard header.count > 7, header.prefix(7).lowercased() == "bearer ",
                let caller = try? await auth.authenticate(bearer: String(header.dropFirst(7)))
            else { return .dontUpgrade }
            identity = caller
        }
        let origin = AuditEvent.Origin(
            requestID: "ws-" + UUID().uuidString.lowercased(), clientAddress: channel.remoteAddress?.ipAddress,
            userAgent: request.headerFields[.userAgent])
        return .upgrade([:]) { [self, identity] inbound, outbound, _ in
            try await self.serve(inbound: inbound, outbound: outbound, channel: channel, identity: identity, origin: origin)
        }
    }

    func serve(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel, identity: Identity?,
        origin: AuditEvent.Origin
    ) async throws {
        let id = state.withLock { state in
            state.open += 1
            state.nextID += 1
            return state.nextID
        }
        defer { state.withLock { $0.open -= 1 } }
        let session = StreamSession(id: id, endpoint: self, outbound: outbound, channel: channel, origin: origin)
        try await session.run(inbound, identity: identity)
    }
}
