import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VigilCore

/// Reads JSON request bodies with the API's limits: `415` unless the content type is JSON, `413`
/// past 8 MiB, `400` for malformed JSON.
enum BodyReader {
    static let maxBodyBytes = 8 * 1024 * 1024

    static func jsonBytes(_ request: Request, limit: Int = maxBodyBytes) async throws -> ByteBuffer {
        try requireJSONContentType(request)
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw NIOTooManyBytesError(maxBytes: limit)
        }
        return try await request.body.collect(upTo: limit)
    }

    static func requireJSONContentType(_ request: Request) throws(VigilError) {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else {
            throw VigilError(.unsupportedMediaType, code: "unsupported_media_type", message: "Content-Type must be application/json")
        }
    }

    /// Decodes a small JSON body (auth requests). Missing or mistyped fields are a `422`.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 64 * 1024) async throws -> T {
        let buffer = try await jsonBytes(request, limit: limit)
        // Syntax first, for a 400 that says where the body stops being JSON.
        _ = try SampleBatchDecoder().parse(buffer.readableBytesView)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            switch error {
            case .keyNotFound(let key, _):
                throw VigilError(
                    .validation,
                    code: "validation_failed",
                    message: "\(key.stringValue) is required",
                    details: [ErrorDetail(index: nil, field: key.stringValue, reason: "\(key.stringValue) is required")]
                )
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                let field = context.codingPath.map(\.stringValue).joined(separator: ".")
                throw VigilError(
                    .validation,
                    code: "validation_failed",
                    message: "\(field) has the wrong type",
                    details: [ErrorDetail(index: nil, field: field, reason: "\(field) must be a string")]
                )
            @unknown default:
                throw VigilError(.badRequest, code: "malformed_json", message: "request body is not valid JSON")
            }
        }
    }
}

extension Request {
    /// Query parameters, percent-decoded; for a repeated name the first value counts.
    var firstQueryValues: [String: String] {
        var values = [String: String]()
        for (key, value) in uri.queryParameters where values[String(key)] == nil {
            values[String(key)] = String(value)
        }
        return values
    }
}
