import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The heartbeat, seen from a peer that never answers: a raw TCP client that upgrades and then only reads.
@Suite("Stream heartbeat")
struct StreamHeartbeatTests {
    /// Keeps every byte received and notes when the server closed the connection.
    final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = Mutex<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.withLock { $0 += Array(buffer: buffer) }
        }
    }

    @Test("a peer that never answers pings is pinged, then closed with 1001 once it has been silent for two intervals")
    func silentPeer() async throws {
        try await TestApp.run(.sqlite, configure: { $0.stream.heartbeatInterval = 1_000_000 }, testing: .live) { app in
            let (_, token) = try await app.patient()
            let port = try #require(app.client.port)
            let recorder = Recorder()
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(recorder) }
                }
                .connect(host: "127.0.0.1", port: port).get()
            let request =
                "GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer \(token)\r\n\r\n"
            try await channel.writeAndFlush(ByteBuffer(string: request))
            let started = ContinuousClock.now
            try await channel.closeFuture.get()
            let elapsed = ContinuousClock.now - started
            let received = recorder.bytes.withLock { $0 }
            let text = String(decoding: received, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 101"))
            let frames = Array(received[(received.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound ?? received.endIndex)...])
            // Server frames (unmasked, control frames ≤ 125 bytes): a ping (0x89) first, then a close (0x88) with 1001.
            var opcodes: [UInt8] = []
            var closeCode: UInt16?
            var index = 0
            while index + 1 < frames.count {
                let length = Int(frames[index + 1] & 0x7F)
                guard length <= 125, index + 2 + length <= frames.count else { break }
                opcodes.append(frames[index])
                if frames[index] == 0x88, length >= 2 { closeCode = UInt16(frames[index + 2]) << 8 | UInt16(frames[index + 3]) }
                index += 2 + length
            }
            #expect(opcodes.first == 0x89 && opcodes.last == 0x88 && opcodes.dropLast().allSatisfy { $0 == 0x89 }, "\(opcodes)")
            #expect(closeCode == 1001)
            #expect(elapsed >= .seconds(2) && elapsed < .seconds(20), "closed after \(elapsed)")
        }
    }
}
