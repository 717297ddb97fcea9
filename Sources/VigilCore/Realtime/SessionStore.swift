/// The sessions of one node: creation under a node-wide cap, joins, leaves, chat history and expiry.
///
/// Creating is bounded three ways: sessions on the node, live sessions a user created, and live sessions of
/// one subject (ids are `<subject>:<name>`); every node applies the same changes, so they count alike.
/// Time is always passed in (`now`, microseconds); nothing here reads a clock. A session expires 24 h after
/// creation or 30 min after its last message or join (defaults from `RealtimeLimits`), whichever is first.
/// Expired sessions behave as absent at once; `cleanup(now:)` (run every 5 min by the session service) frees
/// their memory and reports their ids so members can be told.
///
/// Authorization (does a grant let this clinician see this patient?) is the caller's job and decides the
/// `allowedParticipants` given at creation. The store only refuses users outside that set, answering
/// `notFound` exactly as for a missing session so non-participants cannot probe which sessions exist.
public struct SessionStore: Sendable {
    /// Why an operation was refused; `code` is the wire error.
    public enum Failure: Error, Sendable, Equatable {
        /// The node already holds `maxSessionsPerNode` live sessions, the user created `maxSessionsPerUser`
        /// or the subject has `maxSessionsPerSubject`.
        case tooManySessions
        /// A live session with this id exists (the caller chose a colliding id).
        case duplicateSession
        /// No live session with this id is visible to this user.
        case notFound
        /// The session already has `maxParticipantsPerSession` users present.
        case sessionFull
        /// The user must join before doing this.
        case notInSession

        /// The error code sent to the client.
        public var code: RealtimeErrorCode {
            switch self {
            case .tooManySessions: .tooManySessions
            case .duplicateSession: .forbidden
            case .notFound: .notFound
            case .sessionFull: .sessionFull
            case .notInSession: .notInSession
            }
        }
    }

    private var sessions: [String: RealtimeSession] = [:]
    /// Sessions held per creator and per subject (expired ones too, until they are removed).
    private var createdBy: [String: Int] = [:]
    private var perSubject: [String: Int] = [:]
    private let limits: RealtimeLimits

    /// An empty store using the session limits in `limits`.
    public init(limits: RealtimeLimits = RealtimeLimits()) {
        self.limits = limits
    }

    /// Sessions held, including expired ones not yet cleaned up.
    public var count: Int { sessions.count }

    /// Creates a session that `allowedParticipants` may join, counted as created by `creator`.
    public mutating func create(
        id: String, allowedParticipants: Set<String>, creator: String = "", now: Int64
    ) throws(Failure) -> RealtimeSession {
        if let existing = sessions[id] {
            guard isExpired(existing, now: now) else { throw .duplicateSession }
            remove(id)
        }
        try checkCreate(id, by: creator, now: now)
        let session = RealtimeSession(
            id: id, creator: creator, allowedParticipants: allowedParticipants, createdAt: now,
            historyCapacity: limits.messagesKeptPerSession)
        insert(session)
        return session
    }

    /// Live sessions `user` created.
    public func sessions(createdBy user: String) -> Int { createdBy[user] ?? 0 }

    /// Live sessions of `subject`.
    public func sessions(ofSubject subject: String) -> Int { perSubject[subject] ?? 0 }

    /// The live session `id` as `user` may see it; nil when missing, expired or `user` is not a participant.
    public func session(_ id: String, for user: String, now: Int64) -> RealtimeSession? {
        try? visibleSession(id, for: user, now: now)
    }

    /// Marks `user` present; returns false when they already were (a second device). Counts as activity.
    @discardableResult
    public mutating func join(_ id: String, user: String, now: Int64) throws(Failure) -> Bool {
        _ = try visibleSession(id, for: user, now: now)
        try checkJoin(id, user: user, now: now)
        return apply(SessionChange(session: id, node: "", user: user, action: .joined, at: now)) != nil
    }

    /// Marks `user` absent. Call when the user's last connection leaves the session. Not activity: a session
    /// everyone left should idle out.
    public mutating func leave(_ id: String, user: String, now: Int64) throws(Failure) {
        let session = try visibleSession(id, for: user, now: now)
        guard session.present.contains(user) else { throw .notInSession }
        _ = apply(SessionChange(session: id, node: "", user: user, action: .left, at: now))
    }

    /// Appends a chat message from `sender`, who must have joined; returns it with its sequence number.
    public mutating func post(_ text: ChatText, to id: String, from sender: String, now: Int64) throws(Failure) -> RealtimeSessionMessage {
        try checkPost(id, from: sender, now: now)
        guard
            case .message(let message)? = apply(
                SessionChange(session: id, node: "", user: sender, action: .message, text: text.value, at: now))
        else { throw .notFound }
        return message
    }

    /// Whether `user` may join `id` now (the caller decided they may take part): a missing session is
    /// created by the join, within the node's cap; a live one must have room unless they are present.
    public mutating func checkJoin(_ id: String, user: String, now: Int64) throws(Failure) {
        guard let existing = sessions[id], !isExpired(existing, now: now) else { return try checkCreate(id, by: user, now: now) }
        if !existing.present.contains(user) && existing.present.count >= limits.maxParticipantsPerSession { throw .sessionFull }
    }

    /// Whether `sender` may post to `id` now: a live session they are present in.
    public func checkPost(_ id: String, from sender: String, now: Int64) throws(Failure) {
        guard try visibleSession(id, for: sender, now: now).present.contains(sender) else { throw .notInSession }
    }

    /// Applies a change accepted by some node (this one or another), in outbox order, and returns what
    /// the session's members are told (nil: nothing visible changed). Every node applies the same
    /// changes in the same order, so they agree on presence, history and sequence numbers. Checks were
    /// made by the accepting node; a change for a session that ended since is dropped, except a join,
    /// which starts it anew.
    public mutating func apply(_ change: SessionChange) -> RealtimeSessionEvent? {
        let id = change.session
        let now = change.at
        let live = sessions[id].map { !isExpired($0, now: now) } ?? false
        switch change.action {
        case .joined:
            if !live {
                remove(id)
                insert(
                    RealtimeSession(
                        id: id, creator: change.user, allowedParticipants: [], createdAt: now,
                        historyCapacity: limits.messagesKeptPerSession))
            }
            sessions[id]!.allowedParticipants.insert(change.user)
            let wasPresent = sessions[id]!.present.contains(change.user)
            sessions[id]!.presence[change.user, default: []].insert(change.node)
            sessions[id]!.present.insert(change.user)
            sessions[id]!.lastActivity = max(sessions[id]!.lastActivity, now)
            return wasPresent ? nil : .joined(user: change.user)
        case .left:
            guard live, sessions[id]!.presence[change.user]?.remove(change.node) != nil else { return nil }
            guard sessions[id]!.presence[change.user]!.isEmpty else { return nil }
            sessions[id]!.presence[change.user] = nil
            sessions[id]!.present.remove(change.user)
            return .left(user: change.user)
        case .message:
            guard live, let raw = change.text, let text = try? ChatText(sanitizing: raw, maxScalars: .max) else { return nil }
            let message = RealtimeSessionMessage(sequence: sessions[id]!.nextSequence, sender: change.user, text: text, sentAt: now)
            sessions[id]!.keep(message, maxBytes: limits.maxHistoryBytesPerSession)
            sessions[id]!.nextSequence += 1
            sessions[id]!.lastActivity = max(sessions[id]!.lastActivity, now)
            return .message(message)
        }
    }

    /// The live session `id` whoever asks (the caller checked access to its subject); nil when missing or expired.
    public func liveSession(_ id: String, now: Int64) -> RealtimeSession? {
        guard let session = sessions[id], !isExpired(session, now: now) else { return nil }
        return session
    }

    /// Kept messages after `sequence` (0 for all), for a participant catching up.
    public func messages(in id: String, for user: String, after sequence: UInt64, now: Int64) throws(Failure) -> [RealtimeSessionMessage] {
        try visibleSession(id, for: user, now: now).messages(after: sequence)
    }

    /// Removes every session expired at `now`; returns their ids, sorted, so the caller can notify members
    /// (`ConnectionRegistry.removeSession`). Visits each session once: at most `maxSessionsPerNode`.
    public mutating func cleanup(now: Int64) -> [String] {
        let expired = sessions.values.filter { isExpired($0, now: now) }.map(\.id).sorted()
        for id in expired { remove(id) }
        return expired
    }

    /// Whether `creator` may create `id` now: room on the node, for the creator and for the subject. Expired
    /// sessions must not keep anyone from creating new ones: past a limit they are swept (bounded by the node
    /// cap) and the limits checked again.
    private mutating func checkCreate(_ id: String, by creator: String, now: Int64) throws(Failure) {
        let subject = Self.subject(of: id)
        func full() -> Bool {
            sessions.count >= limits.maxSessionsPerNode || createdBy[creator, default: 0] >= limits.maxSessionsPerUser
                || perSubject[subject, default: 0] >= limits.maxSessionsPerSubject
        }
        if full() { _ = cleanup(now: now) }
        guard !full() else { throw .tooManySessions }
    }

    private mutating func insert(_ session: RealtimeSession) {
        sessions[session.id] = session
        createdBy[session.creator, default: 0] += 1
        perSubject[Self.subject(of: session.id), default: 0] += 1
    }

    private mutating func remove(_ id: String) {
        guard let session = sessions.removeValue(forKey: id) else { return }
        Self.decrement(&createdBy, session.creator)
        Self.decrement(&perSubject, Self.subject(of: id))
    }

    private static func decrement(_ counts: inout [String: Int], _ key: String) {
        guard let count = counts[key] else { return }
        counts[key] = count > 1 ? count - 1 : nil
    }

    /// The subject a session id belongs to: what precedes its first `:` (the whole id without one).
    static func subject(of id: String) -> String {
        id.firstIndex(of: ":").map { String(id[..<$0]) } ?? id
    }

    /// Whether `session` has passed its TTL or idle deadline at `now`.
    public func isExpired(_ session: RealtimeSession, now: Int64) -> Bool {
        now >= session.expiry(ttl: limits.sessionTTL, idleTimeout: limits.sessionIdleTimeout)
    }

    private func visibleSession(_ id: String, for user: String, now: Int64) throws(Failure) -> RealtimeSession {
        guard let session = sessions[id], !isExpired(session, now: now), session.allowedParticipants.contains(user) else {
            throw .notFound
        }
        return session
    }
}
