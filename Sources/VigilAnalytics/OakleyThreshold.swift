/// Oakley's wake threshold: a fixed count, or Actiware's automatic threshold derived from the data.
/// Encodes as a JSON number or the string "automatic".
public enum OakleyThreshold: Sendable, Equatable, Codable {
    /// Wake when the weighted count reaches this value (pyActigraphy's default is 40).
    case fixed(Double)
    /// Actiware's data-derived threshold, see `Actigraphy.oakleyAutomaticThreshold(_:)`.
    case automatic

    /// Decodes a number or the string "automatic".
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Double.self) {
            self = .fixed(value)
            return
        }
        let text = try container.decode(String.self)
        guard text == "automatic" else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a number or \"automatic\", got \"\(text)\"")
        }
        self = .automatic
    }

    /// Encodes a number or the string "automatic".
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .fixed(let value): try container.encode(value)
        case .automatic: try container.encode("automatic")
        }
    }
}
