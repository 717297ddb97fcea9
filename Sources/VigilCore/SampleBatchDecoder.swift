import Foundation

/// Parses an ingestion body. Malformed JSON is a `400` whose message says where parsing failed.
public struct SampleBatchDecoder: Sendable {
    public init() {}

    public func parse(_ bytes: some Collection<UInt8>) throws(VigilError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw Self.malformed(error)
        } catch {
            throw VigilError(.badRequest, code: "malformed_json", message: "request body is not valid JSON")
        }
    }

    public static func malformed(_ error: DecodingError) -> VigilError {
        var message = "request body is not valid JSON"
        if case .dataCorrupted(let context) = error {
            // Foundation's parser reports "… around line L, column C." in the underlying error.
            if let underlying = context.underlyingError {
                message += ": \(String(describing: underlying))"
            } else if !context.debugDescription.isEmpty {
                message += ": \(context.debugDescription)"
            }
        }
        return VigilError(.badRequest, code: "malformed_json", message: message)
    }
}
