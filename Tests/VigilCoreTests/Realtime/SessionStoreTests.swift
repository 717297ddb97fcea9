import Testing
import VigilCore

@Suite("Session store")
struct SessionStoreTests {
    private static let minute: Int64 = 60 * RealtimeLimits.microsecondsPerSecond
    private static let participants: Set<String> = ["patient", "dr.a", "dr.b"]

    private static func text(_ value: String) -> ChatText { try! ChatText(sanitizing: value) }

    private static func store(_ adjust: (inout RealtimeLimits) -> Void = { _ in }) -> SessionStore {
        var limits = RealtimeLimits()
        adjust(&limits)
        return SessionStore(limits: limits)
    }

    @Test("participants join, post and leave; outsiders get not_found like a missing session")
    func lifecycle() throws {
        var store = Self.store()
        _ = try store.create(id: "s", allowedParticipants: Self.participants, now: 0)
        #expect(try store.join("s", user: "patient", now: 1))
        #expect(try !store.join("s", user: "patient", now: 2))  // second device
        #expect(throws: SessionStore.Failure.notInSession) { try store.post(Self.text("hi"), to: "s", from: "dr.a", now: 3) }
        try store.join("s", user: "dr.a", now: 3)
        let message = try store.post(Self.text("hello"), to: "s", from: "dr.a", now: 4)
        #expect(message == RealtimeSessionMessage(sequence: 1, sender: "dr.a", text: Self.text("hello"), sentAt: 4))
        #expect(throws: SessionStore.Failure.notFound) { try store.join("s", user: "stranger", now: 5) }
        #expect(throws: SessionStore.Failure.notFound) { try store.join("missing", user: "patient", now: 5) }
        #expect(SessionStore.Failure.notFound.code == .notFound)
        #expect(store.session("s", for: "stranger", now: 5) == nil)
        try store.leave("s", user: "dr.a", now: 6)
        #expect(throws: SessionStore.Failure.notInSession) { try store.leave("s", user: "dr.a", now: 7) }
        #expect(store.session("s", for: "patient", now: 7)?.present == ["patient"])
    }

    @Test("a duplicate live id is refused")
    func duplicate() throws {
        var store = Self.store()
        _ = try store.create(id: "s", allowedParticipants: Self.participants, now: 0)
        #expect(throws: SessionStore.Failure.duplicateSession) { try store.create(id: "s", allowedParticipants: [], now: 1) }
    }

    @Test("a session idles out 30 min after its last message or join, not its last leave")
    func idleExpiry() throws {
        var store = Self.store()
        _ = try store.create(id: "s", allowedParticipants: Self.participants, now: 0)
        try store.join("s", user: "patient", now: 10 * Self.minute)
        _ = try store.post(Self.text("x"), to: "s", from: "patient", now: 20 * Self.minute)
        try store.leave("s", user: "patient", now: 40 * Self.minute)
        #expect(store.cleanup(now: 50 * Self.minute - 1).isEmpty)
        #expect(store.session("s", for: "patient", now: 50 * Self.minute) == nil)  // expired reads as absent before cleanup
        #expect(store.count == 1)
        #expect(store.cleanup(now: 50 * Self.minute) == ["s"])
        #expect(store.count == 0)
    }

    @Test("a session expires 24 h after creation however active it is")
    func ttlExpiry() throws {
        var store = Self.store()
        _ = try store.create(id: "s", allowedParticipants: Self.participants, now: 0)
        try store.join("s", user: "patient", now: 0)
        var now: Int64 = 0
        while now < 24 * 60 * Self.minute - 10 * Self.minute {
            now += 10 * Self.minute
            _ = try store.post(Self.text("still here"), to: "s", from: "patient", now: now)
        }
        #expect(store.cleanup(now: 24 * 60 * Self.minute - 1).isEmpty)
        #expect(throws: SessionStore.Failure.notFound) {
            try store.post(Self.text("late"), to: "s", from: "patient", now: 24 * 60 * Self.minute)
        }
        #expect(store.cleanup(now: 24 * 60 * Self.minute) == ["s"])
    }

    @Test("cleanup reports only expired sessions, sorted")
    func cleanupSelective() throws {
        var store = Self.store()
        for id in ["c", "a", "b"] { _ = try store.create(id: id, allowedParticipants: Self.participants, now: 0) }
        try store.join("b", user: "dr.a", now: 20 * Self.minute)
        #expect(store.cleanup(now: 30 * Self.minute) == ["a", "c"])
        #expect(store.count == 1)
    }

    @Test("the node session cap answers too_many_sessions, expired sessions free their slot")
    func sessionCap() throws {
        var store = Self.store { $0.maxSessionsPerNode = 3 }
        for id in 0..<3 { _ = try store.create(id: "s\(id)", allowedParticipants: Self.participants, now: Int64(id)) }
        #expect(throws: SessionStore.Failure.tooManySessions) { try store.create(id: "s3", allowedParticipants: [], now: 3) }
        #expect(SessionStore.Failure.tooManySessions.code == .tooManySessions)
        // s0–s2 were created at 0, 1 and 2 µs, so all have idled out 30 min after the last of them.
        _ = try store.create(id: "s3", allowedParticipants: [], now: 30 * Self.minute + 2)
        #expect(store.count == 1)
    }

    @Test("a full session refuses new users with session_full but admits present ones")
    func sessionFull() throws {
        var store = Self.store { $0.maxParticipantsPerSession = 2 }
        _ = try store.create(id: "s", allowedParticipants: Self.participants, now: 0)
        try store.join("s", user: "patient", now: 0)
        try store.join("s", user: "dr.a", now: 0)
        #expect(throws: SessionStore.Failure.sessionFull) { try store.join("s", user: "dr.b", now: 0) }
        #expect(try !store.join("s", user: "dr.a", now: 1))
    }

    @Test("history keeps the last 1,000 messages and resumes after a sequence")
    func ringBuffer() throws {
        var store = Self.store()
        _ = try store.create(id: "s", allowedParticipants: Self.participants, now: 0)
        try store.join("s", user: "patient", now: 0)
        for index in 1...2_500 { _ = try store.post(Self.text("m\(index)"), to: "s", from: "patient", now: Int64(index)) }
        let all = try store.messages(in: "s", for: "patient", after: 0, now: 2_501)
        #expect(all.count == 1_000)
        #expect(all.first?.sequence == 1_501)
        #expect(all.last?.text.value == "m2500")
        #expect(all.map(\.sequence) == Array(1_501...2_500))
        #expect(try store.messages(in: "s", for: "patient", after: 2_498, now: 2_501).map(\.sequence) == [2_499, 2_500])
        #expect(try store.messages(in: "s", for: "patient", after: 2_500, now: 2_501).isEmpty)
        #expect(throws: SessionStore.Failure.notFound) { try store.messages(in: "s", for: "stranger", after: 0, now: 2_501) }
    }

    @Test("creating is capped per creating user and per subject, counted from the applied joins; expired ones free their slot")
    func userAndSubjectCaps() throws {
        var store = Self.store {
            $0.maxSessionsPerUser = 2
            $0.maxSessionsPerSubject = 3
        }
        func join(_ id: String, _ user: String, at now: Int64) throws(SessionStore.Failure) {
            try store.checkJoin(id, user: user, now: now)
            _ = store.apply(SessionChange(session: id, node: "n", user: user, action: .joined, at: now))
        }
        try join("alice:a", "dr.a", at: 0)
        try join("alice:b", "dr.a", at: 1)
        #expect(throws: SessionStore.Failure.tooManySessions) { try join("bob:c", "dr.a", at: 2) }
        #expect(store.sessions(createdBy: "dr.a") == 2)
        // Joining a live session creates nothing: not counted.
        try join("alice:a", "dr.b", at: 2)
        try join("alice:c", "dr.b", at: 3)
        #expect(throws: SessionStore.Failure.tooManySessions) { try join("alice:d", "alice", at: 4) }
        #expect(store.sessions(ofSubject: "alice") == 3)
        try join("bob:a", "dr.b", at: 4)
        // 30 min later alice:b and alice:c have idled out (alice:a was joined at 2 µs, too): room again.
        try join("alice:d", "alice", at: 30 * Self.minute + 3)
        try join("carol:a", "dr.a", at: 30 * Self.minute + 3)
        #expect(store.sessions(ofSubject: "alice") == 1)
    }

    @Test("history is bounded in bytes too: the oldest messages are dropped, sequences stay contiguous")
    func historyBytes() throws {
        var store = Self.store { $0.maxHistoryBytesPerSession = 1_000 }
        _ = try store.create(id: "s", allowedParticipants: Self.participants, now: 0)
        try store.join("s", user: "patient", now: 0)
        let text = String(repeating: "x", count: 93)  // 93 + "patient" = 100 bytes each
        for index in 1...25 { _ = try store.post(Self.text(text), to: "s", from: "patient", now: Int64(index)) }
        let kept = try store.messages(in: "s", for: "patient", after: 0, now: 26)
        #expect(kept.map(\.sequence) == Array(16...25))
        #expect(store.session("s", for: "patient", now: 26)?.historyBytes == 1_000)
        #expect(try store.messages(in: "s", for: "patient", after: 20, now: 26).map(\.sequence) == Array(21...25))
        // One message larger than the whole budget is delivered but not kept; the next one is.
        _ = try store.post(Self.text(String(repeating: "y", count: 2_000)), to: "s", from: "patient", now: 27)
        #expect(try store.messages(in: "s", for: "patient", after: 0, now: 27).isEmpty)
        let next = try store.post(Self.text("z"), to: "s", from: "patient", now: 28)
        #expect(next.sequence == 27)
        #expect(try store.messages(in: "s", for: "patient", after: 0, now: 28).map(\.sequence) == [27])
    }
}
