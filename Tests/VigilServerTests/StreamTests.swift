import Foundation
import HTTPTypes
import Testing
import VigilCore

/// `/v1/stream` over a real socket (`.live`), on SQLite and PostgreSQL.
@Suite("Live sample streams", .serialized)
struct StreamTests {
    @Test("header auth: subscribe, receive committed batches with their cursor, ping gets pong with the id", arguments: Backend.all)
    func live(backend: Backend) async throws {
        try await TestApp.run(backend, testing: .live) { app in
            let (subject, token) = try await app.patient()
            let probe = try await app.stream(token: token, until: { $0.samples().count >= 2 }) { send, probe in
                try await send(#"{"type":"ping","id":"p1"}"#)
                try await send(#"{"type":"subscribe","subject":"\#(subject)","id":"s1"}"#)
                while !probe.messages.contains(where: { $0["type"] as? String == "subscribed" }) {
                    try await Task.sleep(for: .milliseconds(5))
                }
                try await app.postHeartRates(subject, token: token, count: 3, offset: 0)
                try await app.postHeartRates(subject, token: token, count: 2, offset: 100)
            }
            #expect(probe.messages.first?["type"] as? String == "pong")
            #expect(probe.messages.first?["id"] as? String == "p1")
            let samples = probe.samples()
            #expect(samples.map { ($0["samples"] as? [Any])?.count } == [3, 2])
            #expect(samples.allSatisfy { $0["subject"] as? String == subject })
            #expect(probe.cursors == probe.cursors.sorted() && Set(probe.cursors).count == 2)
        }
    }

    @Test("first-message auth, auth timeout closes with 4001, and a socket never carries a token in its URL", arguments: Backend.all)
    func firstMessageAuth(backend: Backend) async throws {
        try await TestApp.run(backend, configure: { $0.stream.authTimeout = 2_000_000 }, testing: .live) { app in
            let (_, token) = try await app.patient()
            let authed = try await app.stream(token: nil, until: { $0.messages.count >= 2 }) { send, _ in
                try await send(#"{"type":"auth","token":"\#(token)"}"#)
                try await send(#"{"type":"ping"}"#)
            }
            #expect(authed.messages.map { $0["type"] as? String } == ["authenticated", "pong"])
            // An authenticated socket outlives the auth timeout.
            let lasting = try await app.stream(token: token, until: { $0.messages.count >= 2 }) { send, _ in
                try await send(#"{"type":"ping"}"#)
                try await Task.sleep(for: .seconds(3))
                try await send(#"{"type":"ping"}"#)
            }
            #expect(lasting.messages.map { $0["type"] as? String } == ["pong", "pong"])
            let silent = try await app.stream(token: nil, until: { _ in false }) { _, _ in try await Task.sleep(for: .seconds(3)) }
            #expect(silent.closeCode.withLock { $0 } == 4001)
            let early = try await app.stream(token: nil, until: { !$0.messages.isEmpty }) { send, _ in
                try await send(#"{"type":"subscribe","subject":"x"}"#)
            }
            #expect(early.messages.first?["code"] as? String == "unauthorized")
        }
    }

    @Test(
        "a subscriber that reconnects with since gets every event once, in cursor order, during concurrent ingestion",
        arguments: Backend.all)
    func replay(backend: Backend) async throws {
        try await TestApp.run(backend, testing: .live) { app in
            let (subject, token) = try await app.patient()
            let first = try await app.stream(token: token, until: { $0.messages.contains { $0["type"] as? String == "subscribed" } }) {
                send, _ in
                try await send(#"{"type":"subscribe","subject":"\#(subject)"}"#)
            }
            let since = try #require(first.messages.first { $0["type"] as? String == "subscribed" }?["cursor"] as? Int)
            // Disconnected: 10,000 samples arrive in 100 batches.
            for batch in 0..<100 { try await app.postHeartRates(subject, token: token, count: 100, offset: batch * 100) }
            // Reconnect with `since` while 20 more batches are being ingested.
            let total = 12_000
            let probe = try await app.stream(
                token: token,
                until: { probe in
                    probe.samples().reduce(0) { $0 + (($1["samples"] as? [Any])?.count ?? 0) } >= total
                }
            ) { send, _ in
                async let writer: Void = {
                    for batch in 100..<120 { try await app.postHeartRates(subject, token: token, count: 100, offset: batch * 100) }
                }()
                try await send(#"{"type":"subscribe","subject":"\#(subject)","since":\#(since)}"#)
                try await writer
            }
            let cursors = probe.cursors
            #expect(cursors.count == 120)
            #expect(cursors == cursors.sorted())
            #expect(Set(cursors).count == cursors.count)
            #expect(cursors.allSatisfy { $0 > since })
            let uuids = probe.samples().flatMap { ($0["samples"] as? [[String: Any]] ?? []).compactMap { $0["uuid"] as? String } }
            #expect(uuids.count == total && Set(uuids).count == total)
        }
    }

    @Test("no grant: the same not_found as a subject that does not exist; type filters; bad messages", arguments: Backend.all)
    func accessAndProtocol(backend: Backend) async throws {
        try await TestApp.run(backend, configure: { $0.stream.maxProtocolErrors = 6 }, testing: .live) { app in
            let (subject, token) = try await app.patient()
            let clinician = try await app.addUser(.clinician)
            let other = try await app.login(clinician.name, clinician.password).accessToken
            let denied = try await app.stream(token: other, until: { $0.messages.count >= 2 }) { send, _ in
                try await send(#"{"type":"subscribe","subject":"\#(subject)","id":"a"}"#)
                try await send(#"{"type":"subscribe","subject":"nobody-at-all","id":"b"}"#)
            }
            #expect(denied.messages.map { $0["code"] as? String } == ["not_found", "not_found"])
            #expect(denied.messages[0]["message"] as? String == denied.messages[1]["message"] as? String)
            let filtered = try await app.stream(token: token, until: { !$0.samples().isEmpty }) { send, probe in
                try await send(#"{"type":"subscribe","subject":"\#(subject)","types":["step_count"]}"#)
                while !probe.messages.contains(where: { $0["type"] as? String == "subscribed" }) {
                    try await Task.sleep(for: .milliseconds(5))
                }
                try await app.postHeartRates(subject, token: token, count: 2, offset: 0)
                let steps = SampleJSON.quantity("step_count", 120, "count", start: "2026-11-20T07:15:00+01:00")
                #expect(try await app.post("/v1/subjects/\(subject)/samples", json: SampleJSON.batch([steps]), token: token).status == .ok)
            }
            #expect(filtered.samples().count == 1)
            #expect((filtered.samples().first?["samples"] as? [[String: Any]])?.first?["type"] as? String == "step_count")
            let abusive = try await app.stream(token: token, until: { _ in false }) { send, _ in
                for bad in [
                    "{", #"{"type":"dance"}"#, #"{"type":"subscribe"}"#, #"{"type":"subscribe","subject":"x","since":-1}"#, "[]", "{}",
                ] {
                    try await send(bad)
                }
                try await Task.sleep(for: .seconds(2))
            }
            #expect(
                abusive.messages.compactMap { $0["code"] as? String } == [
                    "malformed", "unknown_type", "invalid_field", "invalid_field", "malformed", "invalid_field",
                ])
            #expect(abusive.closeCode.withLock { $0 } == 1008)
        }
    }

    @Test("rate limit, plain GET without upgrade, and admin statistics", arguments: Backend.all)
    func limits(backend: Backend) async throws {
        try await TestApp.run(backend, configure: { $0.stream.messagesPerMinute = 3 }, testing: .live) { app in
            let (_, token) = try await app.patient()
            let probe = try await app.stream(token: token, until: { $0.messages.count >= 5 }) { send, _ in
                for _ in 0..<5 { try await send(#"{"type":"ping"}"#) }
            }
            #expect(
                probe.messages.map { ($0["type"] as? String == "error" ? $0["code"] : $0["type"]) as? String } == [
                    "pong", "pong", "pong", "rate_limited", "rate_limited",
                ])
            let plain = try await app.get("/v1/stream", token: token)
            #expect(plain.status == .badRequest)
            #expect(try plain.apiError().code == "upgrade_required")
            let admin = try await app.addUser(.admin)
            let adminToken = try await app.login(admin.name, admin.password).accessToken
            let stats = try await app.get("/v1/admin/realtime", token: adminToken)
            #expect(stats.status == .ok)
            #expect(try stats.jsonObject()["max_connections"] as? Int == 1_000)
            #expect(try await app.get("/v1/admin/realtime", token: token).status == .forbidden)
        }
    }

    @Test("a replay far longer than the send buffer goes at the client's pace: every event arrives, nothing is refused")
    func pacedReplay() async throws {
        try await TestApp.run(.sqlite, configure: { $0.stream.sendBufferMessages = 4 }, testing: .live) { app in
            let (subject, token) = try await app.patient()
            for batch in 0..<150 { try await app.postHeartRates(subject, token: token, count: 1, offset: batch * 10) }
            let probe = try await app.stream(token: token, until: { $0.samples().count >= 150 }) { send, _ in
                try await send(#"{"type":"subscribe","subject":"\#(subject)","since":0}"#)
            }
            #expect(probe.samples().count == 150)
            #expect(probe.cursors == probe.cursors.sorted())
            #expect(probe.closeCode.withLock { $0 } != 4008)
        }
    }

    @Test("two nodes on one PostgreSQL: a batch ingested on node A reaches a subscriber on node B, in order, once")
    func twoNodes() async throws {
        guard Backend.all.contains(.postgres) else { return }
        try await ScratchDatabase.with(.postgres) { url in
            try await TestApp.run(.postgres, url: url, testing: .live) { nodeA in
                let (subject, token) = try await nodeA.patient()
                try await TestApp.run(.postgres, url: url, testing: .live) { nodeB in
                    let probe = try await nodeB.stream(token: token, until: { $0.samples().count >= 3 }) { send, probe in
                        try await send(#"{"type":"subscribe","subject":"\#(subject)"}"#)
                        try await probe.wait("subscribed") { $0.messages.contains { $0["type"] as? String == "subscribed" } }
                        for batch in 0..<3 { try await nodeA.postHeartRates(subject, token: token, count: 5, offset: batch * 10) }
                    }
                    #expect(probe.samples().count == 3)
                    #expect(probe.cursors == probe.cursors.sorted() && Set(probe.cursors).count == 3)
                }
            }
        }
    }
}
