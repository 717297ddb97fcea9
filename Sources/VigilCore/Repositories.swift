/// Storage ports. VigilStorage implements them on SQLite and PostgreSQL; Core never sees SQL.

/// What happened to a batch handed to ``SampleRepository/insert(_:subject:)``.
public enum SampleInsertOutcome: Sendable, Equatable {
    /// Committed durably: `accepted` new rows, `duplicates` samples already stored with the same content.
    case stored(IngestResult)
    /// Nothing stored: these indexes (into the given array) reuse a stored uuid with other content.
    case conflicts([Int])
}

public protocol SampleRepository: Sendable {
    /// Stores samples with distinct uuids and the write's audit event in one transaction, all or nothing.
    func insert(_ samples: [Sample], subject: SubjectID, audit: AuditEvent) async throws -> SampleInsertOutcome
    /// Indexes of samples whose uuid is stored for the subject with other content (read-only).
    func storedConflicts(_ samples: [Sample], subject: SubjectID) async throws -> [Int]
    /// Up to `query.limit + 1` samples after the query's position, ordered by (start, uuid).
    func samples(_ query: SampleQuery) async throws -> [Sample]
    /// Up to `limit` samples of one type with `from <= start < to`, reduced to what a time series needs,
    /// ordered by (start, uuid).
    func series(subject: SubjectID, type: SampleType, from: Int64?, to: Int64?, limit: Int) async throws -> [SeriesPoint]
}

/// One sample of a numeric time series.
public struct SeriesPoint: Sendable, Equatable {
    public var start: Timestamp
    public var endMicroseconds: Int64
    public var value: Double

    public init(start: Timestamp, endMicroseconds: Int64, value: Double) {
        self.start = start
        self.endMicroseconds = endMicroseconds
        self.value = value
    }
}

/// A user as stored.
public struct UserRecord: Sendable, Equatable {
    public var id: String
    public var username: Username
    public var passwordHash: String
    public var role: Role
    public var organization: String

    public init(id: String, username: Username, passwordHash: String, role: Role, organization: String) {
        self.id = id
        self.username = username
        self.passwordHash = passwordHash
        self.role = role
        self.organization = organization
    }
}

/// The result of presenting a refresh token.
public enum RefreshOutcome: Sendable, Equatable {
    /// The token was live and is now spent; a new one was stored for the same login.
    case rotated(Identity)
    /// The token was already spent: its whole login has been revoked. Carries the login's owner.
    case reused(Identity?)
    /// Unknown, expired, or its login has ended.
    case invalid
}

public protocol UserRepository: Sendable {
    /// Creates a user; throws a `conflict` ``VigilError`` if the username is taken.
    func createUser(_ user: UserRecord) async throws
    func user(named username: Username) async throws -> UserRecord?
}

/// Logins: one per successful password check, a family of rotating refresh tokens (stored as hashes).
public protocol LoginRepository: Sendable {
    func createLogin(id: String, userID: String, refreshTokenHash: String, now: Int64, refreshExpiresAt: Int64) async throws
    /// The caller behind a live login, with the user's current role and organisation.
    func identity(loginID: String, userID: String) async throws -> Identity?
    /// Spends `refreshTokenHash` and stores `newHash` for the same login, atomically. A login older than
    /// `maxLoginSeconds` is over: its refresh token is `.invalid` (a login has an absolute lifetime), and the
    /// new token never outlives the login.
    func rotate(
        refreshTokenHash: String, newHash: String, now: Int64, refreshExpiresAt: Int64, maxLoginSeconds: Int64
    ) async throws -> RefreshOutcome
    /// Ends the login the token belongs to (spent or not) and returns its owner; unknown tokens give `nil`.
    func revokeLogin(refreshTokenHash: String, now: Int64) async throws -> Identity?
}
