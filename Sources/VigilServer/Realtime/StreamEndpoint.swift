import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
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
    private let state: Mutex<State>

    struct State {
        var nextID = 0
        /// Slots of open connections, per node, user and address.
        var budget: ConnectionBudget
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
        self.state = Mutex(State(budget: ConnectionBudget(limits: limits)))
    }

    var openConnections: Int { state.withLock { $0.budget.count } }

    /// What an accepted upgrade carries into the connection.
    struct Decision: Sendable {
        let identity: Identity?
        /// When the header's token expires, on the hub's clock (µs).
        let expiresAt: Int64
        let origin: AuditEvent.Origin
        /// The connection's slot in the budget (released when the channel closes).
        let slot: Int
    }

    /// Decides an upgrade. Anything not upgraded here (another path, a full node, a bad token) goes on to
    /// the HTTP router, which answers it with the API's error shape.
    func decide(_ head: HTTPRequestHead, channel: any Channel) async -> Result<Decision, VigilError> {
        let path = head.uri
        guard path == "/v1/stream" || path.hasPrefix("/v1/stream?") else {
            return .failure(VigilError(.notFound, code: "not_found", message: "no WebSocket endpoint at \(path.prefix(200))"))
        }
        // RFC 6455 §4.1: the opening handshake is a GET (NIO's upgrader does not check the method).
        guard head.method == .GET else {
            return .failure(VigilError(.methodNotAllowed, code: "method_not_allowed", message: "a stream is opened with GET"))
        }
        let busy = VigilError(
            .unavailable, code: "server_busy", message: "this node holds its maximum of \(limits.maxConnectionsPerNode) stream connections",
            retryAfterSeconds: 5)
        guard openConnections < limits.maxConnectionsPerNode else { return .failure(busy) }
        let origin = AuditEvent.Origin(
            requestID: "ws-" + UUID().uuidString.lowercased(), clientAddress: channel.remoteAddress?.ipAddress,
            userAgent: head.headers.first(name: "user-agent").map { AuditEvent.clientText($0, limit: 256) })
        var identity: Identity?
        var expiresAt: Int64 = 0
        if let header = head.headers.first(name: "authorization") {
            let token = header.count > 7 && header.prefix(7).lowercased() == "bearer " ? String(header.dropFirst(7)) : nil
            guard let token, let caller = try? await auth.authenticateWithLifetime(bearer: token) else {
                await rejections.record(token: token, subject: nil, origin: origin)
                return .failure(VigilError.invalidToken)
            }
            identity = caller.identity
            expiresAt = hub.clock.nowMicros + caller.lifetime
        }
        // The slot is taken in one step with the checks, and given back when the channel closes, however it closes.
        let admitted = state.withLock { state -> Result<Int, ConnectionBudget.Refusal> in
            do throws(ConnectionBudget.Refusal) {
                return .success(try state.budget.admit(address: origin.clientAddress, user: identity?.username.value))
            } catch {
                return .failure(error)
            }
        }
        switch admitted {
        case .failure(.nodeFull): return .failure(busy)
        case .failure(let refusal):
            return .failure(VigilError(.rateLimited, code: "too_many_connections", message: refusal.message, retryAfterSeconds: 5))
        case .success(let slot):
            channel.closeFuture.whenComplete { [self] _ in state.withLock { $0.budget.release(slot) } }
            return .success(Decision(identity: identity, expiresAt: expiresAt, origin: origin, slot: slot))
        }
    }

    /// Counts a connection that authenticated with its `auth` message for its user; the refusal when the
    /// user already holds their maximum of connections on this node.
    func authenticate(slot: Int, as user: String) -> ConnectionBudget.Refusal? {
        state.withLock { state -> ConnectionBudget.Refusal? in
            do throws(ConnectionBudget.Refusal) {
                try state.budget.authenticate(slot, as: user)
                return nil
            } catch {
                return error
            }
        }
    }

    /// Starts serving an upgraded channel (on its event loop): its frames go to a new session.
    func accept(_ channel: any Channel, decision: Decision) throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let session = StreamSession(id: id, endpoint: self, channel: channel, origin: decision.origin, slot: decision.slot)
        // Also when the channel closed before the frame handler could see it go inactive.
        channel.closeFuture.whenComplete { _ in session.enqueue(.closed) }
        try channel.pipeline.syncOperations.addHandlers([
            StreamFrameValidator(session: session),
            NIOWebSocketFrameAggregator(
                minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: 256, maxAccumulatedFrameSize: limits.maxAudioFrameBytes),
            StreamFrameHandler(session: session),
        ])
        session.start(identity: decision.identity, expiresAt: decision.expiresAt)
    }
}
