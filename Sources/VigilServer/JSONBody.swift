import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// JSON responses with `snake_case` keys given by each type's `CodingKeys`.
enum JSONBody {
    static func response(status: HTTPResponse.Status = .ok, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":{"code":"internal_error","message":"encoding failed"}}"#.utf8)
        return response(status: status, bytes: data, headers: headers)
    }

    static func response(status: HTTPResponse.Status = .ok, bytes: some Collection<UInt8>, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
