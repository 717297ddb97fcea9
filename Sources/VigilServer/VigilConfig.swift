import Foundation
import Logging
import NIOCore
import VigilCore

/// Everything a Vigil process is configured with, validated before anything starts.
/// Sources, strongest first: command-line flags, environment variables, defaults.
public struct VigilConfig: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case development, test, production
    }

    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = "vigil-data"
    /// `nil` means SQLite in the data directory.
    public var databaseURL: String?
    public var mode = Mode.development
    /// HS256 signing secret for access tokens (≥ 32 bytes). `nil`: see ``SigningKey``.
    public var jwtSecret: [UInt8]?
    public var jwtSecretFile: String?
    /// Key signing the audit chain heads (≥ 32 bytes), kept outside the database. `nil`: see ``AuditKey``.
    public var auditKey: [UInt8]?
    public var auditKeyFile: String?
    public var auth = AuthSettings()
    public var sqliteSynchronous = "FULL"
    public var logLevel = Logger.Level.info
    /// How long the server waits for the database (and its migrations) at start before giving up.
    public var startupTimeout = Duration.seconds(30)
    public var analysis = AnalysisSettings()
    public var stream = RealtimeLimits()
    /// Requests refused with 401 audited one by one per client address and minute; the rest of the
    /// minute becomes one summary event.
    public var auditRejectedPerMinute = 20
    /// How often the summary of a minute of refused requests that ended without a later refusal is
    /// written (it is written with the next refusal otherwise, and at shutdown in any case).
    public var auditSummaryInterval = Duration.seconds(60)
    /// How long a client may take to send a request's head and body, and to send the next request.
    public var http = HTTPEdgeLimits()

    public init() {}

    /// Analysis jobs and the PAT model.
    public struct AnalysisSettings: Sendable {
        /// `VIGIL_PAT_MODEL`: a PAT `.safetensors` file; without it PAT jobs are refused.
        public var patModelPath: String?
        /// `VIGIL_PAT_COHORT`: per-minute-of-week mean/std CSV for `standardization: cohort`.
        public var patCohortPath: String?
        public var concurrency = 2
        public var timeoutSeconds = 120
        public var maxAttempts = 3
        /// Unfinished jobs a user / an organisation may have (`429 too_many_jobs` past it).
        public var queueLimits = JobQueueLimits()
        /// Finished jobs and their results are deleted this long after they finished.
        public var retentionDays = 30
        public var breakerThreshold = 5
        public var breakerCooldownSeconds = 60

        public init() {}
    }

    public var resolvedDatabaseURL: String {
        databaseURL ?? "sqlite:" + URL(fileURLWithPath: dataDirectory).appendingPathComponent("vigil.sqlite").path
    }

    /// Flags given on the command line (each `nil` when absent).
    public struct Overrides: Sendable {
        public var host: String?
        public var port: Int?
        public var databaseURL: String?
        public var dataDirectory: String?

        public init(host: String? = nil, port: Int? = nil, databaseURL: String? = nil, dataDirectory: String? = nil) {
            self.host = host
            self.port = port
            self.databaseURL = databaseURL
            self.dataDirectory = dataDirectory
        }
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads the `VIGIL_*` variables; every bad value is an error that names the variable.
    public static func load(environment env: [String: String], overrides: Overrides = Overrides()) throws -> VigilConfig {
        var config = VigilConfig()
        func value(_ name: String) -> String? {
            guard let raw = env[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        func integer(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let raw = value(name) else { return nil }
            guard let number = Int(raw), range.contains(number) else {
                throw Invalid(description: "\(name) must be an integer within \(range.lowerBound)...\(range.upperBound) (got '\(raw)')")
            }
            return number
        }
        if let raw = value("VIGIL_ENV") {
            guard let mode = Mode(rawValue: raw) else {
                throw Invalid(description: "VIGIL_ENV must be one of development, test, production (got '\(raw)')")
            }
            config.mode = mode
        }
        config.host = overrides.host ?? value("VIGIL_HOST") ?? config.host
        if let port = overrides.port {
            guard (1...65535).contains(port) else { throw Invalid(description: "--port must be within 1...65535") }
            config.port = port
        } else if let port = try integer("VIGIL_PORT", 1...65535) {
            config.port = port
        }
        config.dataDirectory = overrides.dataDirectory ?? value("VIGIL_DATA_DIR") ?? config.dataDirectory
        config.databaseURL = overrides.databaseURL ?? value("VIGIL_DATABASE_URL")
        if let url = config.databaseURL, !(url.hasPrefix("sqlite:") || url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")) {
            throw Invalid(description: "database URL must be sqlite:PATH or postgres://user:password@host:port/database")
        }
        if let secret = value("VIGIL_JWT_SECRET") {
            guard secret.utf8.count >= 32 else { throw Invalid(description: "VIGIL_JWT_SECRET must be at least 32 bytes") }
            config.jwtSecret = Array(secret.utf8)
        }
        config.jwtSecretFile = value("VIGIL_JWT_SECRET_FILE")
        if let secret = value("VIGIL_AUDIT_KEY") {
            guard secret.utf8.count >= 32 else { throw Invalid(description: "VIGIL_AUDIT_KEY must be at least 32 bytes") }
            config.auditKey = Array(secret.utf8)
        }
        config.auditKeyFile = value("VIGIL_AUDIT_KEY_FILE")
        if let cost = try integer("VIGIL_BCRYPT_COST", 4...31) { config.auth.bcryptCost = UInt8(cost) }
        if let count = try integer("VIGIL_LOGIN_FREE_FAILURES_PER_ACCOUNT", 1...1_000) { config.auth.login.freeFailuresPerAccount = count }
        if let count = try integer("VIGIL_LOGIN_FREE_FAILURES_PER_ADDRESS", 1...1_000_000) { config.auth.login.freeFailuresPerAddress = count }
        if let seconds = try integer("VIGIL_LOGIN_MAX_DELAY", 1...86_400) { config.auth.login.maximumDelaySeconds = Int64(seconds) }
        if let count = try integer("VIGIL_PASSWORD_HASH_CONCURRENCY", 1...1_024) { config.auth.login.hashConcurrency = count }
        if let count = try integer("VIGIL_PASSWORD_HASH_QUEUE", 0...100_000) { config.auth.login.hashQueueLength = count }
        if let ttl = try integer("VIGIL_ACCESS_TOKEN_TTL", 60...86_400) { config.auth.accessTokenSeconds = Int64(ttl) }
        if let ttl = try integer("VIGIL_REFRESH_TOKEN_TTL", 300...31_536_000) { config.auth.refreshTokenSeconds = Int64(ttl) }
        if let seconds = try integer("VIGIL_LOGIN_MAX_LIFETIME", 300...31_536_000) { config.auth.maxLoginSeconds = Int64(seconds) }
        if let seconds = try integer("VIGIL_STARTUP_TIMEOUT", 1...3600) { config.startupTimeout = .seconds(seconds) }
        config.analysis.patModelPath = value("VIGIL_PAT_MODEL")
        config.analysis.patCohortPath = value("VIGIL_PAT_COHORT")
        if let count = try integer("VIGIL_ANALYSIS_CONCURRENCY", 1...64) { config.analysis.concurrency = count }
        if let seconds = try integer("VIGIL_ANALYSIS_TIMEOUT", 1...86_400) { config.analysis.timeoutSeconds = seconds }
        if let attempts = try integer("VIGIL_ANALYSIS_MAX_ATTEMPTS", 1...20) { config.analysis.maxAttempts = attempts }
        if let count = try integer("VIGIL_ANALYSIS_MAX_QUEUED_PER_USER", 1...100_000) { config.analysis.queueLimits.perUser = count }
        if let count = try integer("VIGIL_ANALYSIS_MAX_QUEUED_PER_ORG", 1...1_000_000) { config.analysis.queueLimits.perOrganization = count }
        if let days = try integer("VIGIL_ANALYSIS_RETENTION_DAYS", 1...3_650) { config.analysis.retentionDays = days }
        if let threshold = try integer("VIGIL_PAT_BREAKER_THRESHOLD", 1...1000) { config.analysis.breakerThreshold = threshold }
        if let seconds = try integer("VIGIL_PAT_BREAKER_COOLDOWN", 1...86_400) { config.analysis.breakerCooldownSeconds = seconds }
        if let count = try integer("VIGIL_STREAM_MAX_CONNECTIONS", 1...1_000_000) { config.stream.maxConnectionsPerNode = count }
        if let count = try integer("VIGIL_STREAM_MAX_CONNECTIONS_PER_USER", 1...1_000_000) { config.stream.maxConnectionsPerUser = count }
        if let count = try integer("VIGIL_STREAM_MAX_CONNECTIONS_PER_ADDRESS", 1...1_000_000) {
            config.stream.maxConnectionsPerAddress = count
        }
        if let count = try integer("VIGIL_STREAM_MAX_UNAUTHENTICATED", 1...1_000_000) {
            config.stream.maxUnauthenticatedConnections = count
        }
        if let count = try integer("VIGIL_STREAM_MAX_UNAUTHENTICATED_PER_ADDRESS", 1...1_000_000) {
            config.stream.maxUnauthenticatedConnectionsPerAddress = count
        }
        if let count = try integer("VIGIL_STREAM_MESSAGES_PER_MINUTE", 1...100_000) { config.stream.messagesPerMinute = count }
        if let count = try integer("VIGIL_STREAM_MAX_SESSIONS_PER_USER", 1...1_000_000) { config.stream.maxSessionsPerUser = count }
        if let count = try integer("VIGIL_STREAM_MAX_SESSIONS_PER_SUBJECT", 1...1_000_000) { config.stream.maxSessionsPerSubject = count }
        if let bytes = try integer("VIGIL_STREAM_SESSION_HISTORY_BYTES", 65_536...1 << 30) {
            config.stream.maxHistoryBytesPerSession = bytes
        }
        if let count = try integer("VIGIL_STREAM_SEND_BUFFER", 1...100_000) { config.stream.sendBufferMessages = count }
        if let days = try integer("VIGIL_STREAM_RETENTION_DAYS", 1...3_650) { config.stream.eventRetention = Int64(days) * 86_400_000_000 }
        if let seconds = try integer("VIGIL_STREAM_HEARTBEAT", 1...3_600) { config.stream.heartbeatInterval = Int64(seconds) * 1_000_000 }
        if let seconds = try integer("VIGIL_STREAM_ACCESS_RECHECK", 1...3_600) {
            config.stream.accessRecheckInterval = Int64(seconds) * 1_000_000
        }
        if let seconds = try integer("VIGIL_HTTP_HEAD_TIMEOUT", 1...300) { config.http.firstHeadTimeout = .seconds(Int64(seconds)) }
        if let seconds = try integer("VIGIL_HTTP_BODY_TIMEOUT", 1...3_600) { config.http.bodyStallTimeout = .seconds(Int64(seconds)) }
        if let seconds = try integer("VIGIL_HTTP_KEEPALIVE_TIMEOUT", 1...3_600) { config.http.keepAliveTimeout = .seconds(Int64(seconds)) }
        if let count = try integer("VIGIL_AUDIT_REJECTED_PER_MINUTE", 1...100_000) { config.auditRejectedPerMinute = count }
        if let level = value("VIGIL_SQLITE_SYNCHRONOUS") {
            guard ["FULL", "NORMAL", "EXTRA"].contains(level.uppercased()) else {
                throw Invalid(description: "VIGIL_SQLITE_SYNCHRONOUS must be FULL, EXTRA or NORMAL (got '\(level)')")
            }
            config.sqliteSynchronous = level.uppercased()
        }
        if let raw = value("VIGIL_LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: raw.lowercased()) else {
                throw Invalid(description: "VIGIL_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
            }
            config.logLevel = level
        }
        if config.mode == .production {
            guard config.jwtSecret != nil || config.jwtSecretFile != nil else {
                throw Invalid(
                    description: "production mode needs a signing key: set VIGIL_JWT_SECRET (≥ 32 bytes) or VIGIL_JWT_SECRET_FILE")
            }
            guard config.auth.bcryptCost >= 10 else { throw Invalid(description: "production mode needs VIGIL_BCRYPT_COST ≥ 10") }
            guard config.auditKey != nil || config.auditKeyFile != nil else {
                throw Invalid(
                    description: "production mode needs an audit key kept outside the database: set VIGIL_AUDIT_KEY (≥ 32 bytes) or VIGIL_AUDIT_KEY_FILE")
            }
        }
        return config
    }
}
