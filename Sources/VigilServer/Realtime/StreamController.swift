import Hummingbird
import VigilCore

/// The HTTP side of `/v1/stream` (requests the WebSocket upgrade did not take) and `/v1/admin/realtime`.
struct StreamController {
    let endpoint: StreamEndpoint

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("stream") { request, _ -> Response in
            // An authenticated upgrade request that reaches the router was refused for capacity.
            if request.headers[.upgrade]?.lowercased() == "websocket" {
                throw VigilError(
                    .unavailable, code: "server_busy",
                    message: "this node holds its maximum of \(endpoint.limits.maxConnectionsPerNode) stream connections",
                    retryAfterSeconds: 5)
            }
            throw VigilError(
                .badRequest, code: "upgrade_required", message: "GET /v1/stream is a WebSocket endpoint: send an upgrade request")
        }
        group.get("admin/realtime") { _, context -> Response in
            guard context.identity.role == .admin else {
                throw VigilError(.forbidden, code: "forbidden", message: "only admins see realtime statistics")
            }
            let hub = endpoint.hub
            let counters = await hub.counters
            return JSONBody.response(
                json: .object([
                    "connections": .integer(Int64(endpoint.openConnections)),
                    "subscriptions": .integer(Int64(await hub.registry.subscriptionCount)),
                    "cursor": .integer(await hub.dispatched),
                    "sessions": .integer(Int64(await hub.sessionCount)),
                    "events_dispatched": .integer(Int64(counters.eventsDispatched)),
                    "messages_sent": .integer(Int64(counters.messagesSent)),
                    "slow_consumers_dropped": .integer(Int64(counters.slowConsumersDropped)),
                    "access_rechecks": .integer(Int64(counters.accessRechecks)),
                    "subscriptions_revoked": .integer(Int64(counters.subscriptionsRevoked)),
                    "max_connections": .integer(Int64(endpoint.limits.maxConnectionsPerNode)),
                ]))
        }
    }
}
