import Foundation
import HTTPTypes
import Hummingbird
import Logging
import VigilCore

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-ID")!
}

/// Outermost middleware: gives each request an id (echoing a sane client one), maps every error to
/// the API's error body, stamps `X-Request-ID` on every response and writes one access-log line.
/// The log has method, route, status and duration — never bodies, tokens or query strings.
struct RequestMiddleware: RouterMiddleware {
    typealias Context = VigilRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let requestID = Self.saneRequestID(request.headers[.requestID]) ?? UUID().uuidString.lowercased()
        context.requestID = requestID
        context.logger[metadataKey: "request_id"] = .string(requestID)
        let started = ContinuousClock.now
        var response: Response
        do {
            // A percent-encoded NUL in the path or query can match nothing stored (PostgreSQL text cannot
            // hold it) and must not reach a query: refused for every route at once.
            if request.uri.description.range(of: "%00", options: .caseInsensitive) != nil {
                throw VigilError.invalidParameter("the path or query contains %00 (NUL), which no parameter accepts")
            }
            response = try await next(request, context)
        } catch {
            let mapped = APIErrorResponse.vigilError(for: error)
            if mapped == nil || mapped?.kind == .internalError {
                context.logger.error("request failed", metadata: ["error": .string(String(reflecting: error))])
            }
            response = APIErrorResponse.response(
                for: mapped ?? VigilError(.internalError, code: "internal_error", message: "internal server error"),
                requestID: requestID
            )
        }
        response.headers[.requestID] = requestID
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "route": .string(context.endpointPath ?? "unmatched"),
                "status": .stringConvertible(response.status.code),
                "duration_ms": .string(String(format: "%.2f", milliseconds)),
            ]
        )
        return response
    }

    /// A client id is echoed only if it is 1–128 characters of `[A-Za-z0-9._:-]` (no log injection).
    static func saneRequestID(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count) else { return nil }
        let allowed = value.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-")
        }
        return allowed ? value : nil
    }
}
