import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
import VigilServer

/// Streams seen from raw peers that misbehave: one that never answers pings, one that stops reading.
@Suite("Stream raw peers", .serialized)
struct StreamRawPeerTests {
    /// Keeps every byte received.
    final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = Mutex<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.withLock { $0 += Array(buffer: buffer) }
        }
    }

    /// Connects, sends the upgrade request (and `then`, already framed), and returns the channel.
    static func connect(
        port: Int, token: String?, recorder: Recorder, receiveBuffer: Int? = nil, autoRead: Bool = true, then: [UInt8] = []
    ) async throws -> any Channel {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: autoRead)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(recorder) }
            }
        if let receiveBuffer { bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer)) }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        let request =
            "GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + (token.map { "Authorization: Bearer \($0)\r\n" } ?? "") + "\r\n"
        try await channel.writeAndFlush(ByteBuffer(bytes: Array(request.utf8) + then))
        return channel
    }

    /// A masked client text frame (mask key 0: the payload is sent as is, which RFC 6455 allows).
    static func maskedText(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        precondition(payload.count < 65_536)
        guard payload.count >= 126 else { return [0x81, 0x80 | UInt8(payload.count), 0, 0, 0, 0] + payload }
        return [0x81, 0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF), 0, 0, 0, 0] + payload
    }

    /// The server frames after the HTTP response: (opcode byte, payload).
    static func frames(_ received: [UInt8]) -> [(UInt8, ArraySlice<UInt8>)] {
        guard let headerEnd = received.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else { return [] }
        var frames: [(UInt8, ArraySlice<UInt8>)] = []
        var index = headerEnd
        while index + 2 <= received.count {
            var length = Int(received[index + 1] & 0x7F)
            var start = index + 2
            if length == 126, start + 2 <= received.count {
                length = Int(received[start]) << 8 | Int(received[start + 1])
                start += 2
            } else if length == 127, start + 8 <= received.count {
                length = received[start..<start + 8].reduce(0) { $0 << 8 | Int($1) }
                start += 8
            }
            guard start + length <= received.count else { break }
            frames.append((received[index], received[start..<start + length]))
            index = start + length
        }
        return frames
    }

    static func closeCode(_ frames: [(UInt8, ArraySlice<UInt8>)]) -> UInt16? {
        guard let close = frames.first(where: { $0.0 == 0x88 }), close.1.count >= 2 else { return nil }
        return UInt16(close.1[close.1.startIndex]) << 8 | UInt16(close.1[close.1.startIndex + 1])
    }

    @Test("a refused upgrade is answered by the API: 401 for a bad token, 503 server_busy on a full node, no redirect")
    func refusedUpgrade() async throws {
        try await TestApp.run(.sqlite, configure: { $0.stream.maxConnectionsPerNode = 1 }, testing: .live) { app in
            let (_, token) = try await app.patient()
            let port = try #require(app.client.port)
            func answer(_ token: String) async throws -> String {
                let recorder = Recorder()
                let channel = try await Self.connect(port: port, token: token, recorder: recorder)
                defer { channel.close(promise: nil) }
                let started = ContinuousClock.now
                while !String(decoding: recorder.bytes.withLock { $0 }, as: UTF8.self).contains("\r\n\r\n"),
                    ContinuousClock.now - started < .seconds(30)
                {
                    try await Task.sleep(for: .milliseconds(10))
                }
                return String(decoding: recorder.bytes.withLock { $0 }, as: UTF8.self)
            }
            #expect(try await answer("not-a-token").hasPrefix("HTTP/1.1 401"))
            let held = Recorder()
            let first = try await Self.connect(port: port, token: token, recorder: held)
            let started = ContinuousClock.now
            while !String(decoding: held.bytes.withLock { $0 }, as: UTF8.self).hasPrefix("HTTP/1.1 101"),
                ContinuousClock.now - started < .seconds(30)
            {
                try await Task.sleep(for: .milliseconds(10))
            }
            let busy = try await answer(token)
            #expect(busy.hasPrefix("HTTP/1.1 503"), "\(busy.prefix(200))")
            #expect(busy.contains("server_busy"))
            try await first.close()
        }
    }

    @Test("a peer that never answers pings is pinged, then closed with 1001 once it has been silent for two intervals")
    func silentPeer() async throws {
        try await TestApp.run(.sqlite, configure: { $0.stream.heartbeatInterval = 1_000_000 }, testing: .live) { app in
            let (_, token) = try await app.patient()
            let recorder = Recorder()
            let channel = try await Self.connect(port: try #require(app.client.port), token: token, recorder: recorder)
            let started = ContinuousClock.now
            try await channel.closeFuture.get()
            let elapsed = ContinuousClock.now - started
            let received = recorder.bytes.withLock { $0 }
            #expect(String(decoding: received, as: UTF8.self).hasPrefix("HTTP/1.1 101"))
            let opcodes = Self.frames(received).map(\.0)
            #expect(opcodes.first == 0x89 && opcodes.last == 0x88 && opcodes.dropLast().allSatisfy { $0 == 0x89 }, "\(opcodes)")
            #expect(Self.closeCode(Self.frames(received)) == 1001)
            #expect(elapsed >= .seconds(2) && elapsed < .seconds(20), "closed after \(elapsed)")
        }
    }

    @Test("a subscriber that stops reading is dropped (4008) once its send buffer is full, not buffered without bound")
    func slowConsumer() async throws {
        // The heartbeat is pushed out of the way: on a loaded machine this test can outlast two ping intervals,
        // and the silent peer would then be closed with 1001 before its buffer fills.
        let configure: (inout VigilConfig) -> Void = {
            $0.stream.sendBufferMessages = 2
            $0.stream.heartbeatInterval = 3_600_000_000
        }
        try await TestApp.run(.sqlite, configure: configure, testing: .live) { app in
            let (subject, token) = try await app.patient()
            let recorder = Recorder()
            let channel = try await Self.connect(
                port: try #require(app.client.port), token: token, recorder: recorder, receiveBuffer: 4_096, autoRead: false,
                then: Self.maskedText(#"{"type":"subscribe","subject":"\#(subject)"}"#))
            // Read just the upgrade answer and `subscribed`, then stop reading.
            channel.read()
            let subscribed = ContinuousClock.now
            while !String(decoding: recorder.bytes.withLock { $0 }, as: UTF8.self).contains("subscribed"),
                ContinuousClock.now - subscribed < .seconds(30)
            {
                channel.read()
                try await Task.sleep(for: .milliseconds(20))
            }
            // Large batches until the loopback buffers are full and more than two frames wait in the server.
            for batch in 0..<60 { try await app.postHeartRates(subject, token: token, count: 500, offset: batch * 1_000) }
            try await channel.setOption(.autoRead, value: true).get()
            // The server ends the connection: with a 4008 close frame behind the data it buffered, or — when the
            // peer stayed silent past the 10 s the close handshake gets — by closing the socket.
            let ended = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await channel.closeFuture.get()
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(60))
                    return false
                }
                let first = try await group.next() ?? false
                group.cancelAll()
                return first
            }
            #expect(ended, "the server kept a connection that stopped reading")
            let frames = Self.frames(recorder.bytes.withLock { $0 })
            #expect(Self.closeCode(frames) == nil || Self.closeCode(frames) == 4008)
            #expect(frames.filter { $0.0 == 0x81 }.count < 61, "not every batch was delivered")
            try? await channel.close()
        }
    }

    /// Frames a client may not send (RFC 6455), each with the close code it must get; `nil`: accepted.
    static let frameBreaches: [(String, [UInt8], UInt16?)] = [
        ("unmasked text", [0x81, 0x02] + Array("{}".utf8), 1002),
        ("reserved bit", [0xC1, 0x82, 0, 0, 0, 0] + Array("{}".utf8), 1002),
        ("reserved opcode", [0x83, 0x80, 0, 0, 0, 0], 1002),
        ("text that is not UTF-8", [0x81, 0x82, 0, 0, 0, 0, 0xC3, 0x28], 1007),
        ("close with a code that may not be sent", [0x88, 0x82, 0, 0, 0, 0, 0x03, 0xED], 1002),
        ("close with a one-byte payload", [0x88, 0x81, 0, 0, 0, 0, 0x03], 1002),
        ("close reason that is not UTF-8", [0x88, 0x84, 0, 0, 0, 0, 0x03, 0xE8, 0xC3, 0x28], 1007),
        // "é" split between two fragments is valid once joined: the chat message is parsed and answered, not closed.
        (
            "UTF-8 split across fragments",
            fragments(Array(##"{"type":"text","session":"nowhere","text":""##.utf8) + [0xC3], [0xA9] + Array(#""}"#.utf8)), nil
        ),
    ]

    /// A text message in two masked fragments (mask key 0).
    static func fragments(_ first: [UInt8], _ second: [UInt8]) -> [UInt8] {
        [0x01, 0x80 | UInt8(first.count), 0, 0, 0, 0] + first + [0x80, 0x80 | UInt8(second.count), 0, 0, 0, 0] + second
    }

    @Test("frames RFC 6455 forbids get a close frame with 1002 or 1007; valid UTF-8 split across fragments is accepted")
    func frameBreaches() async throws {
        try await TestApp.run(.sqlite, testing: .live) { app in
            let (_, token) = try await app.patient()
            let port = try #require(app.client.port)
            for (name, frame, expected) in Self.frameBreaches {
                let recorder = Recorder()
                let channel = try await Self.connect(port: port, token: token, recorder: recorder, then: frame)
                defer { channel.close(promise: nil) }
                let started = ContinuousClock.now
                // Until a close frame arrives, or (when none is expected) a text answer.
                while ContinuousClock.now - started < .seconds(10) {
                    let frames = Self.frames(recorder.bytes.withLock { $0 })
                    if frames.contains(where: { $0.0 == 0x88 || (expected == nil && $0.0 == 0x81) }) { break }
                    try await Task.sleep(for: .milliseconds(10))
                }
                let frames = Self.frames(recorder.bytes.withLock { $0 })
                #expect(Self.closeCode(frames) == expected, "\(name): \(frames.map(\.0))")
                if expected == nil {
                    let answer = frames.first { $0.0 == 0x81 }.map { String(decoding: $0.1, as: UTF8.self) } ?? ""
                    #expect(answer.contains("not_in_session"), "\(name): \(answer)")
                }
            }
        }
    }
}
