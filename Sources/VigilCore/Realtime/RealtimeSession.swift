/// One chat message stored in a session.
public struct RealtimeSessionMessage: Sendable, Equatable {
    /// Position in the session, from 1, without gaps; clients use it to resume history.
    public let sequence: UInt64
    /// The sending user.
    public let sender: String
    /// The sanitised text.
    public let text: ChatText
    /// When the store accepted it, microseconds since the Unix epoch.
    public let sentAt: Int64

    /// Creates a message.
    public init(sequence: UInt64, sender: String, text: ChatText, sentAt: Int64) {
        self.sequence = sequence
        self.sender = sender
        self.text = text
        self.sentAt = sentAt
    }

    /// What the message weighs in a session's history budget: its text and sender, UTF-8.
    public var byteCount: Int { text.value.utf8.count + sender.utf8.count }
}

/// A realtime session between a patient and clinicians: who may take part, who is present, and recent history.
public struct RealtimeSession: Sendable {
    /// The session id (chosen by the caller, validated by `RealtimeFieldRules.isIdentifier`).
    public let id: String
    /// Users who may join: the patient and the clinicians granted access when the session was created.
    public internal(set) var allowedParticipants: Set<String>
    /// Users currently joined.
    public internal(set) var present: Set<String> = []
    /// The nodes each present user is joined from (a user is present while any node has them).
    var presence: [String: Set<String>] = [:]
    /// The user whose join created the session (counted against `maxSessionsPerUser`).
    public let creator: String
    /// Creation time, microseconds.
    public let createdAt: Int64
    /// Last message or join, microseconds; drives the idle timeout.
    public internal(set) var lastActivity: Int64
    var history: RealtimeRingBuffer<RealtimeSessionMessage>
    /// The `byteCount`s of the kept messages, added up.
    public private(set) var historyBytes = 0
    var nextSequence: UInt64 = 1

    init(id: String, creator: String, allowedParticipants: Set<String>, createdAt: Int64, historyCapacity: Int) {
        self.id = id
        self.creator = creator
        self.allowedParticipants = allowedParticipants
        self.createdAt = createdAt
        self.lastActivity = createdAt
        self.history = RealtimeRingBuffer(capacity: historyCapacity)
    }

    /// Messages kept (at most `RealtimeLimits.messagesKeptPerSession`, of at most `maxHistoryBytesPerSession`).
    public var keptMessageCount: Int { history.count }

    /// Keeps `message` in the history, dropping the oldest messages while there are more than the capacity or
    /// their bytes exceed `maxBytes` (a message larger than `maxBytes` on its own is not kept at all).
    mutating func keep(_ message: RealtimeSessionMessage, maxBytes: Int) {
        if let dropped = history.append(message) { historyBytes -= dropped.byteCount }
        historyBytes += message.byteCount
        while historyBytes > maxBytes, let oldest = history.removeFirst() { historyBytes -= oldest.byteCount }
    }

    /// Kept messages with a sequence number above `sequence` (all kept messages for 0), oldest first.
    public func messages(after sequence: UInt64) -> [RealtimeSessionMessage] {
        guard history.count > 0 else { return [] }
        // Sequences in the ring are contiguous, so the offset is arithmetic rather than a search.
        let oldest = history[0].sequence
        guard sequence >= oldest else { return history.suffix(from: 0) }
        // A client's sequence can be anything up to UInt64.max: compare before converting.
        let skipped = sequence - oldest
        guard skipped < UInt64(history.count) else { return [] }
        return history.suffix(from: Int(skipped) + 1)
    }

    /// When the session expires if nothing more happens: the earlier of its TTL and its idle deadline.
    public func expiry(ttl: Int64, idleTimeout: Int64) -> Int64 {
        min(createdAt + ttl, lastActivity + idleTimeout)
    }
}
