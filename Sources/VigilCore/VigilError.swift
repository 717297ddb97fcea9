/// A problem with one field of one item of a request, reported in an error's `details`.
public struct ErrorDetail: Sendable, Equatable, Codable {
    /// Index of the item in its batch, or `nil` when the problem is not about one item.
    public var index: Int?
    public var field: String
    public var reason: String

    public init(index: Int?, field: String, reason: String) {
        self.index = index
        self.field = field
        self.reason = reason
    }
}

/// A domain error. The server maps each ``Kind`` to one HTTP status; the `code` is the stable,
/// machine-readable string clients switch on.
public struct VigilError: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case badRequest
        case unauthorized
        case forbidden
        case notFound
        case methodNotAllowed
        case conflict
        case payloadTooLarge
        case unsupportedMediaType
        case validation
        case rateLimited
        case unavailable
        case internalError
    }

    public var kind: Kind
    public var code: String
    public var message: String
    public var details: [ErrorDetail]
    /// For `rateLimited` and `unavailable`: when to try again (the `Retry-After` header; 1 s when unset).
    public var retryAfterSeconds: Int?

    public init(_ kind: Kind, code: String, message: String, details: [ErrorDetail] = [], retryAfterSeconds: Int? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.details = details
        self.retryAfterSeconds = retryAfterSeconds
    }

    public static func invalidParameter(_ message: String, field: String? = nil) -> VigilError {
        VigilError(
            .badRequest,
            code: "invalid_parameter",
            message: message,
            details: field.map { [ErrorDetail(index: nil, field: $0, reason: message)] } ?? []
        )
    }

    /// The answer for a subject that does not exist *and* for one the caller may not see: the two
    /// must be indistinguishable.
    public static let subjectNotFound = VigilError(.notFound, code: "not_found", message: "subject not found")

    public static let invalidCredentials = VigilError(
        .unauthorized,
        code: "invalid_credentials",
        message: "invalid username or password"
    )

    public static let invalidToken = VigilError(.unauthorized, code: "unauthorized", message: "missing, invalid or expired token")

    public static let invalidRefreshToken = VigilError(
        .unauthorized,
        code: "unauthorized",
        message: "refresh token is invalid, expired or revoked"
    )
}
