/// Who is connected, who watches which subject, and who is in which session — indexed every way the hub
/// looks things up, so each operation costs O(entries of the connection, subject or session involved) and
/// never scans all connections.
///
/// A value type: the realtime hub owns one inside its actor, which gives it exclusive, serialised access.
/// Users, subjects and sessions are strings already validated at the protocol edge; authorization (may this
/// user watch this subject or join this session?) is the caller's job and happens before these calls.
public struct ConnectionRegistry<ConnectionID: Hashable & Sendable>: Sendable {
    /// Why a registration or subscription was refused.
    public enum Refusal: Error, Sendable, Equatable {
        /// The node is at its connection limit (`server_busy`).
        case nodeFull
        /// The connection id is already registered (a caller bug).
        case duplicateConnection
        /// The connection id is not registered.
        case unknownConnection
        /// The connection is at its subscription limit (`too_many_subscriptions`).
        case tooManySubscriptions

        /// The error code sent to the client; the two caller bugs surface as `internal`.
        public var code: RealtimeErrorCode {
            switch self {
            case .nodeFull: .serverBusy
            case .tooManySubscriptions: .tooManySubscriptions
            case .duplicateConnection, .unknownConnection: .internal
            }
        }
    }

    private struct Entry: Sendable {
        let user: String
        /// Subject → sample type filter (nil = all types).
        var subscriptions: [String: Set<String>?] = [:]
        var sessions: Set<String> = []
    }

    /// Most connections held.
    public let maxConnections: Int
    /// Most subjects one connection may subscribe to.
    public let maxSubscriptionsPerConnection: Int

    private var entries: [ConnectionID: Entry] = [:]
    private var byUser: [String: Set<ConnectionID>] = [:]
    private var bySubject: [String: Set<ConnectionID>] = [:]
    private var bySession: [String: Set<ConnectionID>] = [:]
    /// Subscriptions across all connections; maintained on every change so reading it is O(1).
    public private(set) var subscriptionCount = 0

    /// An empty registry with the limits from `limits`.
    public init(limits: RealtimeLimits = RealtimeLimits()) {
        maxConnections = limits.maxConnectionsPerNode
        maxSubscriptionsPerConnection = limits.maxSubscriptionsPerConnection
    }

    /// Connections registered.
    public var connectionCount: Int { entries.count }
    /// Sessions with at least one member connection.
    public var sessionCount: Int { bySession.count }
    /// Subjects with at least one subscriber.
    public var subscribedSubjectCount: Int { bySubject.count }

    /// Adds an authenticated connection for `user`.
    public mutating func register(_ connection: ConnectionID, user: String) throws(Refusal) {
        guard entries[connection] == nil else { throw .duplicateConnection }
        guard entries.count < maxConnections else { throw .nodeFull }
        entries[connection] = Entry(user: user)
        byUser[user, default: []].insert(connection)
    }

    /// Removes a connection and all its subscriptions and session memberships; returns the sessions it was in,
    /// so the caller can announce the departure. Unknown ids are ignored (close paths may race).
    @discardableResult
    public mutating func unregister(_ connection: ConnectionID) -> Set<String> {
        var visits = 0
        return unregister(connection, visits: &visits)
    }

    /// `unregister(_:)`, counting the index entries its loops touch (tests prove it never scans the registry).
    @discardableResult
    mutating func unregister(_ connection: ConnectionID, visits: inout Int) -> Set<String> {
        guard let entry = entries.removeValue(forKey: connection) else { return [] }
        Self.remove(connection, from: &byUser, key: entry.user)
        for subject in entry.subscriptions.keys {
            visits += 1
            Self.remove(connection, from: &bySubject, key: subject)
        }
        subscriptionCount -= entry.subscriptions.count
        for session in entry.sessions {
            visits += 1
            Self.remove(connection, from: &bySession, key: session)
        }
        return entry.sessions
    }

    /// The user a connection belongs to, or nil if it is not registered.
    public func user(of connection: ConnectionID) -> String? { entries[connection]?.user }

    /// All connections of `user` (a user may have several devices open).
    public func connections(of user: String) -> Set<ConnectionID> { byUser[user] ?? [] }

    /// Subscribes (or re-subscribes, replacing the filter) `connection` to `subject`; `types` nil means all.
    public mutating func subscribe(_ connection: ConnectionID, to subject: String, types: Set<String>?) throws(Refusal) {
        // Read counts without keeping a copy of the entry, so the write below mutates in place (no COW copy).
        guard let count = entries[connection]?.subscriptions.count else { throw .unknownConnection }
        let isNew = entries[connection]?.subscriptions[subject] == nil
        if isNew && count >= maxSubscriptionsPerConnection { throw .tooManySubscriptions }
        entries[connection]?.subscriptions[subject] = .some(types)
        if isNew {
            bySubject[subject, default: []].insert(connection)
            subscriptionCount += 1
        }
    }

    /// Removes a subscription; returns whether there was one.
    @discardableResult
    public mutating func unsubscribe(_ connection: ConnectionID, from subject: String) -> Bool {
        guard entries[connection]?.subscriptions.removeValue(forKey: subject) != nil else { return false }
        Self.remove(connection, from: &bySubject, key: subject)
        subscriptionCount -= 1
        return true
    }

    /// Every connection subscribed to `subject`, whatever its type filter.
    public func subscribers(of subject: String) -> Set<ConnectionID> { bySubject[subject] ?? [] }

    /// The connections that should receive a `sampleType` event of `subject`: subscribers whose filter is
    /// absent or names the type. Visits only that subject's subscribers.
    public func subscribers(of subject: String, sampleType: String) -> Set<ConnectionID> {
        var visits = 0
        return subscribers(of: subject, sampleType: sampleType, visits: &visits)
    }

    /// `subscribers(of:sampleType:)`, counting the entries it touches.
    func subscribers(of subject: String, sampleType: String, visits: inout Int) -> Set<ConnectionID> {
        guard let candidates = bySubject[subject] else { return [] }
        visits += candidates.count
        return candidates.filter { connection in
            guard let filter = entries[connection]?.subscriptions[subject] else { return false }
            return filter?.contains(sampleType) ?? true
        }
    }

    /// The subjects `connection` subscribes to, with their filters.
    public func subscriptions(of connection: ConnectionID) -> [String: Set<String>?] { entries[connection]?.subscriptions ?? [:] }

    /// Adds `connection` to `session`'s fan-out set. The session store decides whether the user may join.
    public mutating func join(_ connection: ConnectionID, session: String) throws(Refusal) {
        guard entries[connection] != nil else { throw .unknownConnection }
        entries[connection]?.sessions.insert(session)
        bySession[session, default: []].insert(connection)
    }

    /// Removes `connection` from `session`; returns whether it was a member.
    @discardableResult
    public mutating func leave(_ connection: ConnectionID, session: String) -> Bool {
        guard entries[connection]?.sessions.remove(session) != nil else { return false }
        Self.remove(connection, from: &bySession, key: session)
        return true
    }

    /// The connections in `session`.
    public func members(of session: String) -> Set<ConnectionID> { bySession[session] ?? [] }

    /// Sessions (ids `<subject>:<name>`) of `subject` that have members here. Visits every session with
    /// members (bounded by the node's session cap); used only when a subject's access changes.
    public func sessions(ofSubject subject: String) -> [String] {
        let prefix = subject + ":"
        return bySession.keys.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// The sessions `connection` is in.
    public func sessions(of connection: ConnectionID) -> Set<String> { entries[connection]?.sessions ?? [] }

    /// Whether any connection of `user` other than `excluded` is in `session` — a user leaves a session
    /// (for the session store and the "left" event) only when their last connection does. Visits only the
    /// user's own connections.
    public func userHasOtherConnection(_ user: String, in session: String, excluding excluded: ConnectionID) -> Bool {
        var visits = 0
        return userHasOtherConnection(user, in: session, excluding: excluded, visits: &visits)
    }

    /// `userHasOtherConnection(_:in:excluding:)`, counting the entries it touches.
    func userHasOtherConnection(_ user: String, in session: String, excluding excluded: ConnectionID, visits: inout Int) -> Bool {
        guard let connections = byUser[user] else { return false }
        visits += connections.count
        return connections.contains { $0 != excluded && entries[$0]?.sessions.contains(session) == true }
    }

    /// Drops a session (expired or closed) from every member; returns the former members to notify.
    @discardableResult
    public mutating func removeSession(_ session: String) -> Set<ConnectionID> {
        var visits = 0
        return removeSession(session, visits: &visits)
    }

    /// `removeSession(_:)`, counting the entries it touches.
    mutating func removeSession(_ session: String, visits: inout Int) -> Set<ConnectionID> {
        guard let members = bySession.removeValue(forKey: session) else { return [] }
        for connection in members {
            visits += 1
            entries[connection]?.sessions.remove(session)
        }
        return members
    }

    /// Removes `connection` from the set under `key`, dropping the key when the set empties so counts stay
    /// exact and dictionaries do not accumulate dead keys.
    private static func remove(_ connection: ConnectionID, from index: inout [String: Set<ConnectionID>], key: String) {
        guard var set = index.removeValue(forKey: key) else { return }
        set.remove(connection)
        if !set.isEmpty { index[key] = set }
    }
}
