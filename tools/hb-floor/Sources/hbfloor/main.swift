// The per-connection floor of Hummingbird's WebSocket stack: the same server configuration as Vigil
// (HTTP/1 + WebSocket upgrade, no auto-ping) with a handler that only reads, answering the load tool's
// login and subscribe so tools/stream_load.py can measure it.
import Hummingbird
import HummingbirdWebSocket
import Foundation

let router = Router()
router.post("v1/auth/token") { _, _ in Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"access_token":"x"}"#))) }
let port = Int(ProcessInfo.processInfo.environment["PORT"] ?? "18300")!
let app = Application(
    router: router,
    server: .http1WebSocketUpgrade(
        configuration: .init(http1: .init(idleTimeout: .seconds(75)), ws: .init(maxFrameSize: 1 << 20, autoPing: .disabled)),
        shouldUpgrade: { request, _, _ in
            guard request.path == "/v1/stream" else { return .dontUpgrade }
            return .upgrade([:]) { inbound, outbound, _ in
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text = message { try await outbound.write(.text(#"{"type":"subscribed"}"#)) }
                }
            }
        }),
    configuration: .init(address: .hostname("127.0.0.1", port: port))
)
try await app.runService()
