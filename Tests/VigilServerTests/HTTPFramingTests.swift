import Foundation
import NIOCore
import NIOPosix
import Testing
import VigilServer

/// Malformed HTTP/1 framing and slow clients, from raw sockets against the live server: each gets a
/// quick 4xx in the API's error shape and a closed connection.
@Suite("HTTP framing from raw peers", .serialized)
struct HTTPFramingTests {
    /// Sends `bytes`, then reads until the server closes (or `limit` passes); returns what came and whether it closed.
    static func exchange(port: Int, _ bytes: [UInt8], limit: Duration = .seconds(10)) async throws -> (response: String, closed: Bool) {
        let recorder = StreamRawPeerTests.Recorder()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(recorder) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        if !bytes.isEmpty { try await channel.writeAndFlush(ByteBuffer(bytes: bytes)) }
        let closed = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await channel.closeFuture.get()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        try? await channel.close()
        return (String(decoding: recorder.bytes.withLock { $0 }, as: UTF8.self), closed)
    }

    static let cases: [(String, String, Int)] = [
        ("overflowing Content-Length", "POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{}", 400),
        ("negative Content-Length", "POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}", 400),
        ("two Content-Lengths", "POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
        (
            "Content-Length with chunked",
            "POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 400
        ),
        (
            "overflowing chunk size",
            "POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n{}\r\n",
            400
        ),
        ("too many headers", "GET /health HTTP/1.1\r\nHost: x\r\n" + (0..<1_200).map { "X-H\($0): v\r\n" }.joined() + "\r\n", 431),
        ("a 100 KB header", "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 100_000) + "\r\n\r\n", 431),
        ("a 100 KB target", "GET /health?" + String(repeating: "a", count: 100_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 431),
        ("a garbage request line", "\u{16}\u{03}\u{01}garbage garbage\r\n\r\n", 400),
        ("HTTP/2.0 on HTTP/1", "GET /health HTTP/2.0\r\nHost: x\r\n\r\n", 400),
    ]

    @Test("malformed framing gets a 4xx in the error shape and a closed connection", arguments: 0..<cases.count)
    func malformed(index: Int) async throws {
        let (name, request, status) = Self.cases[index]
        try await TestApp.run(.sqlite, testing: .live) { app in
            let port = try #require(app.client.port)
            let started = ContinuousClock.now
            let (response, closed) = try await Self.exchange(port: port, Array(request.utf8))
            #expect(closed, "\(name): connection left open")
            #expect(ContinuousClock.now - started < .seconds(5), "\(name)")
            #expect(response.hasPrefix("HTTP/1.1 \(status) "), "\(name): \(response.prefix(60))")
            let body = try #require(response.components(separatedBy: "\r\n\r\n").last)
            let error = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: [String: Any]])
            #expect(error["error"]?["code"] is String)
            #expect(error["error"]?["request_id"] is String)
            // The server goes on answering.
            #expect(try await app.get("/health").status == .ok)
        }
    }

    @Test("a head that never completes gets 408; a body that stops arriving ends the connection")
    func slowClients() async throws {
        try await TestApp.run(
            .sqlite,
            configure: {
                $0.http.firstHeadTimeout = .milliseconds(300)
                $0.http.bodyStallTimeout = .milliseconds(300)
            }, testing: .live
        ) { app in
            let port = try #require(app.client.port)
            let silent = try await Self.exchange(port: port, [])
            #expect(silent.closed && silent.response.hasPrefix("HTTP/1.1 408 "))
            let halfHead = try await Self.exchange(port: port, Array("GET /health HTTP/1.1\r\nHost: x\r\n".utf8))
            #expect(halfHead.closed && halfHead.response.hasPrefix("HTTP/1.1 408 "))
            let stalled = try await Self.exchange(
                port: port,
                Array("POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\"".utf8))
            #expect(stalled.closed)
            // A well-behaved request on the same server is unaffected.
            let fine = try await Self.exchange(port: port, Array("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
            #expect(fine.response.hasPrefix("HTTP/1.1 200 "))
        }
    }
}
