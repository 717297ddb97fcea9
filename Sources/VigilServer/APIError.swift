import HTTPTypes
import Hummingbird
import NIOCore
import VigilCore

/// The error body of API.md: `{"error": {"code", "message", "request_id", "details"}}`.
struct APIErrorBody: Encodable {
    struct Inner: Encodable {
        let code: String
        let message: String
        let requestID: String
        let details: [ErrorDetail]?

        enum CodingKeys: String, CodingKey {
            case code, message, details
            case requestID = "request_id"
        }
    }

    let error: Inner
}

/// Turns any error into the API's error response. Unknown errors become a `500` that says nothing
/// about their cause (logged by the caller with the request id).
enum APIErrorResponse {
    static func status(for kind: VigilError.Kind) -> HTTPResponse.Status {
        switch kind {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .validation: .unprocessableContent
        case .rateLimited: .tooManyRequests
        case .unavailable: .serviceUnavailable
        case .internalError: .internalServerError
        }
    }

    /// The domain error an error stands for, or `nil` for an unexpected one.
    static func vigilError(for error: any Error) -> VigilError? {
        switch error {
        case let error as VigilError:
            return error
        case is NIOTooManyBytesError:
            return VigilError(
                .payloadTooLarge,
                code: "payload_too_large",
                message: "request body exceeds \(BodyReader.maxBodyBytes) bytes"
            )
        case let error as HTTPError:
            return fromHTTPError(error)
        default:
            return nil
        }
    }

    private static func fromHTTPError(_ error: HTTPError) -> VigilError {
        switch error.status {
        case .notFound: return VigilError(.notFound, code: "not_found", message: "no such route")
        case .contentTooLarge:
            return VigilError(.payloadTooLarge, code: "payload_too_large", message: "request body exceeds \(BodyReader.maxBodyBytes) bytes")
        case .unauthorized: return VigilError.invalidToken
        case .badRequest: return VigilError(.badRequest, code: "bad_request", message: error.body ?? "bad request")
        default:
            return VigilError(.internalError, code: "internal_error", message: "internal server error")
        }
    }

    static func response(for error: VigilError, requestID: String) -> Response {
        JSONBody.response(status: status(for: error.kind), body(for: error, requestID: requestID), headers: headers(for: error))
    }

    static func body(for error: VigilError, requestID: String) -> APIErrorBody {
        APIErrorBody(
            error: .init(
                code: error.code, message: error.message, requestID: requestID, details: error.details.isEmpty ? nil : error.details))
    }

    /// `WWW-Authenticate` for a 401, `Retry-After` for a 429 or 503.
    static func headers(for error: VigilError) -> HTTPFields {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        switch error.kind {
        case .unauthorized: headers[.wwwAuthenticate] = "Bearer"
        case .rateLimited, .unavailable: headers[.retryAfter] = String(error.retryAfterSeconds ?? 1)
        default: break
        }
        return headers
    }
}
