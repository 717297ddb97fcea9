import Testing

@testable import VigilCore

@Suite("Connection registry")
struct ConnectionRegistryTests {
    @Test("register, look up by connection and user, and unregister")
    func registration() throws {
        var registry = ConnectionRegistry<Int>()
        try registry.register(1, user: "alice")
        try registry.register(2, user: "alice")
        try registry.register(3, user: "bob")
        #expect(registry.connectionCount == 3)
        #expect(registry.user(of: 2) == "alice")
        #expect(registry.connections(of: "alice") == [1, 2])
        #expect(throws: ConnectionRegistry<Int>.Refusal.duplicateConnection) { try registry.register(1, user: "eve") }
        registry.unregister(1)
        #expect(registry.connections(of: "alice") == [2])
        #expect(registry.user(of: 1) == nil)
        registry.unregister(1)  // unknown ids are ignored
        #expect(registry.connectionCount == 2)
    }

    @Test("the node connection limit refuses with nodeFull")
    func nodeLimit() throws {
        var limits = RealtimeLimits()
        limits.maxConnectionsPerNode = 2
        var registry = ConnectionRegistry<Int>(limits: limits)
        try registry.register(1, user: "a")
        try registry.register(2, user: "b")
        #expect(throws: ConnectionRegistry<Int>.Refusal.nodeFull) { try registry.register(3, user: "c") }
        #expect(ConnectionRegistry<Int>.Refusal.nodeFull.code == .serverBusy)
        registry.unregister(1)
        try registry.register(3, user: "c")
    }

    @Test("subscriptions with type filters, counts and fan-out")
    func subscriptions() throws {
        var registry = ConnectionRegistry<Int>()
        for id in 1...3 { try registry.register(id, user: "u\(id)") }
        try registry.subscribe(1, to: "p1", types: nil)
        try registry.subscribe(2, to: "p1", types: ["heart_rate"])
        try registry.subscribe(3, to: "p2", types: ["spo2"])
        #expect(registry.subscriptionCount == 3)
        #expect(registry.subscribedSubjectCount == 2)
        #expect(registry.subscribers(of: "p1") == [1, 2])
        #expect(registry.subscribers(of: "p1", sampleType: "heart_rate") == [1, 2])
        #expect(registry.subscribers(of: "p1", sampleType: "spo2") == [1])
        #expect(registry.subscribers(of: "nobody", sampleType: "spo2").isEmpty)
        // Re-subscribing replaces the filter without counting twice.
        try registry.subscribe(2, to: "p1", types: nil)
        #expect(registry.subscriptionCount == 3)
        #expect(registry.subscribers(of: "p1", sampleType: "spo2") == [1, 2])
        let removed = registry.unsubscribe(2, from: "p1")
        let removedAgain = registry.unsubscribe(2, from: "p1")
        #expect(removed && !removedAgain)
        #expect(registry.subscriptionCount == 2)
        registry.unregister(3)
        #expect(registry.subscriptionCount == 1)
        #expect(registry.subscribedSubjectCount == 1)
        #expect(throws: ConnectionRegistry<Int>.Refusal.unknownConnection) { try registry.subscribe(9, to: "p1", types: nil) }
    }

    @Test("a connection's subscriptions are capped")
    func subscriptionCap() throws {
        var limits = RealtimeLimits()
        limits.maxSubscriptionsPerConnection = 2
        var registry = ConnectionRegistry<Int>(limits: limits)
        try registry.register(1, user: "u")
        try registry.subscribe(1, to: "a", types: nil)
        try registry.subscribe(1, to: "b", types: nil)
        #expect(throws: ConnectionRegistry<Int>.Refusal.tooManySubscriptions) { try registry.subscribe(1, to: "c", types: nil) }
        try registry.subscribe(1, to: "a", types: ["x"])  // replacing an existing one is fine
    }

    @Test("session membership, leaving, other devices and session removal")
    func sessions() throws {
        var registry = ConnectionRegistry<Int>()
        try registry.register(1, user: "patient")
        try registry.register(2, user: "patient")
        try registry.register(3, user: "doctor")
        try registry.join(1, session: "s")
        try registry.join(2, session: "s")
        try registry.join(3, session: "s")
        try registry.join(3, session: "t")
        #expect(registry.sessionCount == 2)
        #expect(registry.members(of: "s") == [1, 2, 3])
        #expect(registry.sessions(of: 3) == ["s", "t"])
        #expect(registry.userHasOtherConnection("patient", in: "s", excluding: 1))
        let left = registry.leave(2, session: "s")
        let leftAgain = registry.leave(2, session: "s")
        #expect(left && !leftAgain)
        #expect(!registry.userHasOtherConnection("patient", in: "s", excluding: 1))
        let sessionsLeft = registry.unregister(3)
        #expect(sessionsLeft == ["s", "t"])
        #expect(registry.sessionCount == 1)
        let notified = registry.removeSession("s")
        #expect(notified == [1])
        #expect(registry.sessions(of: 1).isEmpty)
        #expect(registry.sessionCount == 0)
    }

    @Test("with 100,000 connections, operations visit only the entries involved")
    func noScans() throws {
        var registry = ConnectionRegistry<Int>(
            limits: {
                var limits = RealtimeLimits(); limits.maxConnectionsPerNode = 200_000; return limits
            }())
        for id in 0..<100_000 {
            try registry.register(id, user: "user\(id % 50_000)")
            try registry.subscribe(id, to: "subject\(id % 1_000)", types: id.isMultiple(of: 2) ? nil : ["hr"])
            try registry.join(id, session: "session\(id % 500)")
        }
        #expect(registry.connectionCount == 100_000)
        #expect(registry.subscriptionCount == 100_000)
        #expect(registry.subscribedSubjectCount == 1_000)
        #expect(registry.sessionCount == 500)

        // Subject 7 has 100 subscribers (ids ≡ 7 mod 1000), all odd so all filtered to "hr".
        var visits = 0
        #expect(registry.subscribers(of: "subject7", sampleType: "hr", visits: &visits).count == 100)
        #expect(visits == 100)

        visits = 0
        registry.unregister(42, visits: &visits)  // one subscription, one session
        #expect(visits == 2)

        visits = 0
        // user1 owns ids 1 and 50001 (both in session1), so only those two are looked at.
        let otherDevice = registry.userHasOtherConnection("user1", in: "session1", excluding: 1, visits: &visits)
        #expect(otherDevice)
        #expect(visits == 2)

        visits = 0
        #expect(registry.removeSession("session3", visits: &visits).count == 200)
        #expect(visits == 200)
        #expect(registry.connectionCount == 99_999)
        #expect(registry.sessionCount == 499)
    }
}
