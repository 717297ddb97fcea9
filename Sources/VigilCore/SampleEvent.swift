/// A committed batch of new samples of one subject, as the outbox stores it and streams deliver it.
public struct SampleEvent: Sendable, Equatable {
    /// Grows in commit order; a subscriber resumes after the last cursor it received.
    public var cursor: Int64
    public var organization: String
    public var subject: String
    public var sampleCount: Int
    /// A JSON array of the samples in the API's shape.
    public var samplesJSON: String

    public init(cursor: Int64, organization: String, subject: String, sampleCount: Int, samplesJSON: String) {
        self.cursor = cursor
        self.organization = organization
        self.subject = subject
        self.sampleCount = sampleCount
        self.samplesJSON = samplesJSON
    }
}
