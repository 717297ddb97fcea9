/// Parses an ingestion body. Malformed JSON is a `400` whose message says where parsing failed.
public struct SampleBatchDecoder: Sendable {
    public init() {}

    public func parse(_ bytes: some Collection<UInt8>) throws(VigilError) -> JSONValue {
        do {
            return try JSONParser.parse(bytes, rejectingNUL: true)
        } catch {
            throw VigilError(
                .badRequest,
                code: "malformed_json",
                message: "request body is not valid JSON: \(error.description)",
                details: [ErrorDetail(index: nil, field: "body", reason: error.description)]
            )
        }
    }
}
