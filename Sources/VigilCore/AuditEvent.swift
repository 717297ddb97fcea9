/// One entry of the audit trail: who did what to which subject's data, when, from where, and how it
/// ended. Never the health values themselves.
public struct AuditEvent: Sendable, Equatable {
    /// What was attempted. Raw values are stable identifiers stored in the database.
    public enum Action: String, Sendable, CaseIterable {
        case sampleRead = "sample.read"
        /// A report computed from stored samples (actigraphy metrics, actogram).
        case analysisRead = "analysis.read"
        /// An analysis job submitted.
        case analysisCreate = "analysis.create"
        /// A realtime session joined (its kept messages are read).
        case sessionJoin = "session.join"
        /// A chat message posted to a realtime session (written like a sample: in the message's transaction).
        case sessionMessage = "session.message"
        case sampleWrite = "sample.write"
        case grantCreate = "grant.create"
        case grantList = "grant.list"
        case grantRevoke = "grant.revoke"
        case login = "auth.login"
        case refresh = "auth.refresh"
        case logout = "auth.logout"
        /// A request refused with 401: no bearer token, or one that is invalid, expired or logged out.
        case tokenRejected = "auth.token"
        case userCreate = "user.create"
        case userList = "user.list"
        case userRead = "user.read"
        case userDisable = "user.disable"
        case careTeamCreate = "care_team.create"
        case careTeamRead = "care_team.read"
        case careTeamUpdate = "care_team.update"
        case careTeamDelete = "care_team.delete"
        case auditRead = "audit.read"
    }

    public enum Outcome: String, Sendable, CaseIterable {
        case success, denied, error
    }

    /// Who acted. `nil` fields for an unauthenticated caller (a failed login names only the username tried).
    public struct Actor: Sendable, Equatable {
        public var userID: String?
        public var username: String?
        public var role: String?

        public init(userID: String? = nil, username: String? = nil, role: String? = nil) {
            self.userID = userID
            self.username = username
            self.role = role
        }

        public init(_ identity: Identity) {
            self.init(userID: identity.userID, username: identity.username.value, role: identity.role.rawValue)
        }
    }

    /// Where the request came from.
    public struct Origin: Sendable, Equatable {
        public var requestID: String
        public var clientAddress: String?
        public var userAgent: String?

        public init(requestID: String, clientAddress: String? = nil, userAgent: String? = nil) {
            self.requestID = requestID
            self.clientAddress = clientAddress
            self.userAgent = userAgent.map { String($0.prefix(256)) }
        }
    }

    /// The organisation whose chain holds the event. Events that belong to no organisation (a failed
    /// login with an unknown username) go to ``unattributedOrganization``.
    public var organization: String
    public var actor: Actor
    public var action: Action
    /// FHIR-style type of what was touched: `Observation`, `Consent`, `Person`, `Group`, `AuditEvent`, `Session`.
    public var resourceType: String
    public var subject: String?
    public var recordCount: Int
    public var outcome: Outcome
    /// Microseconds since 1970, UTC.
    public var occurredAt: Int64
    public var origin: Origin

    public static let unattributedOrganization = "_unattributed"

    /// Text a client chose (a username tried at login, a user agent) as an event may record it: at most
    /// `limit` characters, control characters (NUL above all: PostgreSQL text cannot hold it, and one bad
    /// event would fail the group commit it shares with other requests' events) replaced by U+FFFD.
    public static func clientText(_ text: String, limit: Int) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.prefix(limit).unicodeScalars {
            scalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "\u{FFFD}" : scalar)
        }
        return String(scalars)
    }

    public init(
        organization: String,
        actor: Actor,
        action: Action,
        resourceType: String,
        subject: String? = nil,
        recordCount: Int = 0,
        outcome: Outcome,
        occurredAt: Int64,
        origin: Origin
    ) {
        self.organization = organization
        self.actor = actor
        self.action = action
        self.resourceType = resourceType
        self.subject = subject
        self.recordCount = recordCount
        self.outcome = outcome
        self.occurredAt = occurredAt
        self.origin = origin
    }
}

/// An event as stored: its place in its organisation's chain and the hashes that link it.
public struct ChainedAuditEvent: Sendable, Equatable {
    public var event: AuditEvent
    /// 1, 2, 3… within the organisation.
    public var sequence: Int64
    public var previousHash: String
    public var hash: String

    public init(event: AuditEvent, sequence: Int64, previousHash: String, hash: String) {
        self.event = event
        self.sequence = sequence
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// Where audit events go. ``record(_:)`` returns only once the events are durably committed.
public protocol AuditSink: Sendable {
    func record(_ events: [AuditEvent]) async throws
}

extension AuditSink {
    public func record(_ event: AuditEvent) async throws {
        try await record([event])
    }
}
