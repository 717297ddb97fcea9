import Foundation
import NIOCore
import Testing

/// Stream connections per user, per client address, and waiting for `auth`: refused with `429` before the
/// upgrade when the upgrade request tells enough, closed with 4030 when only the `auth` message does.
@Suite("Stream connection limits", .serialized)
struct StreamLimitsTests {
    typealias Peer = StreamRawPeerTests

    /// An upgrade attempt: its channel and what it received so far.
    struct Attempt {
        let channel: any Channel
        let recorder: Peer.Recorder

        var text: String { String(decoding: recorder.bytes.withLock { $0 }, as: UTF8.self) }
        var upgraded: Bool { text.hasPrefix("HTTP/1.1 101") }
    }

    /// Sends an upgrade request (with a bearer token when given) and waits for the response head.
    static func attempt(_ port: Int, token: String?) async throws -> Attempt {
        let recorder = Peer.Recorder()
        let channel = try await Peer.connect(port: port, token: token, recorder: recorder)
        let attempt = Attempt(channel: channel, recorder: recorder)
        try await waitFor("the response head") { attempt.text.contains("\r\n\r\n") }
        return attempt
    }

    static func waitFor(_ what: String, _ condition: () -> Bool) async throws {
        let started = ContinuousClock.now
        while !condition() {
            guard ContinuousClock.now - started < .seconds(30) else {
                Issue.record("timed out waiting for \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// `429 too_many_connections` with `Retry-After`, in the API's error shape.
    static func expectTooMany(_ attempt: Attempt, _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let text = attempt.text
        #expect(text.hasPrefix("HTTP/1.1 429"), "\(context): \(text.prefix(300))", sourceLocation: sourceLocation)
        #expect(text.lowercased().contains("retry-after: "), "\(context)", sourceLocation: sourceLocation)
        #expect(text.contains(#""code":"too_many_connections""#), "\(context): \(text)", sourceLocation: sourceLocation)
    }

    @Test("per user and per address: 429 past the limit, room again when a connection closes")
    func perUserAndAddress() async throws {
        try await TestApp.run(
            .sqlite,
            configure: {
                $0.stream.maxConnectionsPerUser = 2
                $0.stream.maxConnectionsPerAddress = 3
            }, testing: .live
        ) { app in
            let port = try #require(app.client.port)
            let (_, alice) = try await app.patient()
            let (_, bob) = try await app.patient()
            let first = try await Self.attempt(port, token: alice)
            let second = try await Self.attempt(port, token: alice)
            #expect(first.upgraded && second.upgraded)
            let third = try await Self.attempt(port, token: alice)
            Self.expectTooMany(third, "a third connection of one user")
            let bobs = try await Self.attempt(port, token: bob)
            #expect(bobs.upgraded, "another user still has room")
            let fourth = try await Self.attempt(port, token: bob)
            Self.expectTooMany(fourth, "a fourth connection from one address")
            // A closed connection gives its slot back.
            try await first.channel.close()
            try await Task.sleep(for: .milliseconds(200))
            let again = try await Self.attempt(port, token: alice)
            #expect(again.upgraded, "\(again.text.suffix(160))")
            for attempt in [second, third, bobs, fourth, again] { attempt.channel.close(promise: nil) }
        }
    }

    @Test("connections waiting for auth have a small budget per node and per address; auth leaves it")
    func unauthenticated() async throws {
        try await TestApp.run(
            .sqlite,
            configure: {
                $0.stream.maxUnauthenticatedConnections = 3
                $0.stream.maxUnauthenticatedConnectionsPerAddress = 2
                $0.stream.authTimeout = 60_000_000
            }, testing: .live
        ) { app in
            let port = try #require(app.client.port)
            let (_, token) = try await app.patient()
            let first = try await Self.attempt(port, token: nil)
            let second = try await Self.attempt(port, token: nil)
            #expect(first.upgraded && second.upgraded)
            Self.expectTooMany(try await Self.attempt(port, token: nil), "a third unauthenticated connection from one address")
            #expect(try await Self.attempt(port, token: token).upgraded, "a header-authenticated upgrade is not in that budget")
            // Authenticating leaves the budget: room for one more.
            try await first.channel.writeAndFlush(ByteBuffer(bytes: Peer.maskedText(#"{"type":"auth","token":"\#(token)"}"#)))
            try await Self.waitFor("authenticated") { first.text.contains("authenticated") }
            #expect(try await Self.attempt(port, token: nil).upgraded)
        }
        try await TestApp.run(.sqlite, configure: { $0.stream.maxUnauthenticatedConnections = 1 }, testing: .live) { app in
            let port = try #require(app.client.port)
            #expect(try await Self.attempt(port, token: nil).upgraded)
            Self.expectTooMany(try await Self.attempt(port, token: nil), "a second unauthenticated connection on the node")
        }
    }

    @Test("a user known only from the auth message who holds the maximum is closed with 4030, and nothing is sent")
    func perUserAfterAuth() async throws {
        try await TestApp.run(.sqlite, configure: { $0.stream.maxConnectionsPerUser = 1 }, testing: .live) { app in
            let port = try #require(app.client.port)
            let (_, token) = try await app.patient()
            let held = try await Self.attempt(port, token: token)
            #expect(held.upgraded)
            let late = try await Self.attempt(port, token: nil)
            #expect(late.upgraded)
            try await late.channel.writeAndFlush(ByteBuffer(bytes: Peer.maskedText(#"{"type":"auth","token":"\#(token)"}"#)))
            try await Self.waitFor("the close frame") { Peer.closeCode(Peer.frames(late.recorder.bytes.withLock { $0 })) != nil }
            let frames = Peer.frames(late.recorder.bytes.withLock { $0 })
            #expect(Peer.closeCode(frames) == 4030)
            #expect(frames.allSatisfy { $0.0 != 0x81 }, "no text frame (no authenticated) before the close")
            held.channel.close(promise: nil)
        }
    }
}
