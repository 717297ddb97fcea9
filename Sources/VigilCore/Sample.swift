/// A validated sample in canonical form: upper-case uuid, canonical unit and value, instants in UTC
/// with the offset `start` was sent in. `source` and `metadata` are kept as canonical JSON text.
public struct Sample: Sendable, Equatable {
    public var uuid: String
    public var type: SampleType
    public var start: Timestamp
    /// End instant in microseconds (UTC); always ≥ `start`. Returned in `start`'s offset.
    public var endMicroseconds: Int64
    public var value: Double?
    public var unit: String?
    public var category: String?
    public var sourceJSON: String?
    public var metadataJSON: String?

    public init(
        uuid: String,
        type: SampleType,
        start: Timestamp,
        endMicroseconds: Int64,
        value: Double? = nil,
        unit: String? = nil,
        category: String? = nil,
        sourceJSON: String? = nil,
        metadataJSON: String? = nil
    ) {
        self.uuid = uuid
        self.type = type
        self.start = start
        self.endMicroseconds = endMicroseconds
        self.value = value
        self.unit = unit
        self.category = category
        self.sourceJSON = sourceJSON
        self.metadataJSON = metadataJSON
    }

    public var end: Timestamp { Timestamp(microseconds: endMicroseconds, offsetSeconds: start.offsetSeconds) }
}

/// The outcome of a committed batch.
public struct IngestResult: Sendable, Equatable, Codable {
    public var accepted: Int
    public var duplicates: Int

    public init(accepted: Int, duplicates: Int) {
        self.accepted = accepted
        self.duplicates = duplicates
    }
}
