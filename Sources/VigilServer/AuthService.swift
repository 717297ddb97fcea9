import Crypto
import Foundation
import HummingbirdBcrypt
import JWTKit
import VigilCore

/// Lifetimes and costs of credentials.
public struct AuthSettings: Sendable {
    public var accessTokenSeconds: Int64 = 900
    public var refreshTokenSeconds: Int64 = 30 * 24 * 3600
    /// A login's absolute lifetime: refreshing never extends it past this many seconds after the password
    /// was given (`VIGIL_LOGIN_MAX_LIFETIME`, default 30 days).
    public var maxLoginSeconds: Int64 = 30 * 24 * 3600
    /// bcrypt cost (log2 rounds); 12 takes ~0.25 s per check on one core.
    public var bcryptCost: UInt8 = 12
    /// Growing delays after failed logins and the bound on concurrent password hashing.
    public var login = LoginLimits()
    public var issuer = "vigil"
    public var audience = "vigil-api"

    public init() {}
}

/// What `POST /v1/auth/token` and `/v1/auth/refresh` answer.
public struct TokenPair: Sendable, Codable, Equatable {
    public let accessToken: String
    public let tokenType: String
    public let expiresIn: Int64
    public let refreshToken: String

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
        case refreshToken = "refresh_token"
    }
}

/// Claims of an access token. `sid` names the login, so ending the login ends the token at once.
struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var sid: String
    var typ: String
    var iss: IssuerClaim
    var aud: AudienceClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Passwords, access tokens (HS256 JWTs) and rotating refresh tokens.
public final class AuthService: Sendable {
    let keys: JWTKeyCollection
    let users: any UserRepository
    let logins: any LoginRepository
    let audit: any AuditSink
    let settings: AuthSettings
    let now: @Sendable () -> Date
    /// Checked when the username is unknown so that both failures take the same time.
    let dummyHash: String
    let throttle: LoginThrottle
    /// Every bcrypt computation of the process (logins and user creation) passes this bound.
    public let hashing: AdmissionGate

    public init(
        signingKey: [UInt8],
        users: any UserRepository,
        logins: any LoginRepository,
        audit: any AuditSink,
        settings: AuthSettings = AuthSettings(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) async {
        self.keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: signingKey), digestAlgorithm: .sha256)
        self.users = users
        self.logins = logins
        self.audit = audit
        self.settings = settings
        self.now = now
        self.dummyHash = Bcrypt.hash(Self.randomToken(), cost: settings.bcryptCost)
        self.throttle = LoginThrottle(limits: settings.login)
        self.hashing = AdmissionGate(limit: settings.login.hashConcurrency, queueLength: settings.login.hashQueueLength)
    }

    /// Hashes a new password within the process's hashing bound.
    public func hashPassword(_ password: String) async throws -> String {
        let hasher = PasswordHasher(cost: settings.bcryptCost)
        return try await hashing.run { try await hasher.hash(password) }
    }

    public func login(username: String, password: String, origin: AuditEvent.Origin) async throws -> TokenPair {
        let attemptAt = Int64(now().timeIntervalSince1970)
        if let wait = await throttle.retryAfter(username: username, address: origin.clientAddress, now: attemptAt) {
            throw VigilError(
                .rateLimited, code: "too_many_attempts", message: "too many failed logins; try again in \(wait) s",
                retryAfterSeconds: Int(clamping: wait))
        }
        let user = try await Username(username).asyncFlatMap { try await users.user(named: $0) }
        let hash = user?.passwordHash ?? dummyHash
        let hasher = PasswordHasher(cost: settings.bcryptCost)
        // bcrypt reads at most 72 bytes; a longer password (or an empty one) can never have been set.
        let candidate = password.utf8.count <= PasswordPolicy.byteLengths.upperBound ? password : ""
        let matches = try await hashing.run { try await hasher.verify(candidate, hash: hash) } && !candidate.isEmpty
        if user != nil, matches {
            await throttle.succeeded(username: username)
        } else {
            await throttle.failed(username: username, address: origin.clientAddress, now: attemptAt)
        }
        guard let user, matches else {
            // The name tried is recorded (truncated); an unknown name belongs to no organisation.
            try await audit.record(
                AuditEvent(
                    organization: user?.organization ?? AuditEvent.unattributedOrganization,
                    actor: .init(userID: user?.id, username: AuditEvent.clientText(username, limit: 64), role: user?.role.rawValue),
                    action: .login,
                    resourceType: "Session",
                    outcome: .denied,
                    occurredAt: microseconds(now()),
                    origin: origin
                )
            )
            throw VigilError.invalidCredentials
        }
        let loginID = UUID().uuidString.lowercased()
        let refresh = Self.randomToken()
        let issuedAt = Int64(now().timeIntervalSince1970)
        try await logins.createLogin(
            id: loginID,
            userID: user.id,
            refreshTokenHash: Self.hash(refresh),
            now: issuedAt,
            refreshExpiresAt: issuedAt + min(settings.refreshTokenSeconds, settings.maxLoginSeconds)
        )
        let identity = Identity(
            userID: user.id, username: user.username, role: user.role, organization: user.organization, loginID: loginID)
        try await audit.record(event(.login, identity, outcome: .success, origin: origin))
        return try await pair(userID: user.id, loginID: loginID, refresh: refresh, issuedAt: issuedAt)
    }

    private func event(
        _ action: AuditEvent.Action, _ identity: Identity?, outcome: AuditEvent.Outcome, origin: AuditEvent.Origin
    ) -> AuditEvent {
        AuditEvent(
            organization: identity?.organization ?? AuditEvent.unattributedOrganization,
            actor: identity.map(AuditEvent.Actor.init) ?? .init(),
            action: action,
            resourceType: "Session",
            outcome: outcome,
            occurredAt: microseconds(now()),
            origin: origin
        )
    }

    private func microseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }

    public func refresh(_ token: String, origin: AuditEvent.Origin) async throws -> TokenPair {
        let refresh = Self.randomToken()
        let issuedAt = Int64(now().timeIntervalSince1970)
        let outcome = try await logins.rotate(
            refreshTokenHash: Self.hash(token),
            newHash: Self.hash(refresh),
            now: issuedAt,
            refreshExpiresAt: issuedAt + settings.refreshTokenSeconds,
            maxLoginSeconds: settings.maxLoginSeconds
        )
        guard case .rotated(let identity) = outcome else {
            var owner: Identity?
            if case .reused(let identity) = outcome { owner = identity }
            try await audit.record(event(.refresh, owner, outcome: .denied, origin: origin))
            throw VigilError.invalidRefreshToken
        }
        try await audit.record(event(.refresh, identity, outcome: .success, origin: origin))
        return try await pair(userID: identity.userID, loginID: identity.loginID, refresh: refresh, issuedAt: issuedAt)
    }

    public func logout(_ token: String, origin: AuditEvent.Origin) async throws {
        let owner = try await logins.revokeLogin(refreshTokenHash: Self.hash(token), now: Int64(now().timeIntervalSince1970))
        try await audit.record(event(.logout, owner, outcome: owner == nil ? .error : .success, origin: origin))
    }

    /// The caller behind a bearer token: signature, expiry, issuer and audience, then a live login.
    public func authenticate(bearer token: String) async throws -> Identity {
        try await verify(bearer: token).identity
    }

    /// ``authenticate(bearer:)``, and how long from now the token stays valid, in microseconds (by this
    /// service's clock): a stream ends then unless it re-authenticates.
    public func authenticateWithLifetime(bearer token: String) async throws -> (identity: Identity, lifetime: Int64) {
        let (identity, claims) = try await verify(bearer: token)
        return (identity, Int64((claims.exp.value.timeIntervalSince(now()) * 1_000_000).rounded(.down)))
    }

    private func verify(bearer token: String) async throws -> (identity: Identity, claims: AccessClaims) {
        let claims: AccessClaims
        do {
            claims = try await keys.verify(token, as: AccessClaims.self)
            try claims.exp.verifyNotExpired(currentDate: now())
            try claims.aud.verifyIntendedAudience(includes: settings.audience)
        } catch {
            throw VigilError.invalidToken
        }
        guard claims.iss.value == settings.issuer, claims.typ == "access",
            let identity = try await logins.identity(loginID: claims.sid, userID: claims.sub.value)
        else { throw VigilError.invalidToken }
        return (identity, claims)
    }

    /// Who a rejected token names, when it is one of ours (an expired token, a logged-out session): the
    /// actor and the organisation whose chain records the 401. Anything else belongs to no organisation.
    public func rejectedTokenOwner(_ token: String?) async -> (actor: AuditEvent.Actor, organization: String) {
        guard let token, let claims = try? await keys.verify(token, as: AccessClaims.self), claims.typ == "access",
            claims.iss.value == settings.issuer
        else {
            return (.init(), AuditEvent.unattributedOrganization)
        }
        if let identity = try? await logins.identity(loginID: claims.sid, userID: claims.sub.value) {
            return (.init(identity), identity.organization)
        }
        return (.init(userID: claims.sub.value), AuditEvent.unattributedOrganization)
    }

    private func pair(userID: String, loginID: String, refresh: String, issuedAt: Int64) async throws -> TokenPair {
        let claims = AccessClaims(
            sub: .init(value: userID),
            sid: loginID,
            typ: "access",
            iss: .init(value: settings.issuer),
            aud: .init(value: [settings.audience]),
            iat: .init(value: Date(timeIntervalSince1970: TimeInterval(issuedAt))),
            exp: .init(value: Date(timeIntervalSince1970: TimeInterval(issuedAt + settings.accessTokenSeconds)))
        )
        return TokenPair(
            accessToken: try await keys.sign(claims),
            tokenType: "Bearer",
            expiresIn: settings.accessTokenSeconds,
            refreshToken: refresh
        )
    }

    /// 256 random bits, base64url without padding.
    static func randomToken() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Refresh tokens are stored only as their SHA-256.
    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

extension Optional {
    func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
