/// One row of the stream outbox, in commit order: a committed batch of new samples of one subject (what
/// streams deliver), or a change a stream node must apply before delivering anything after it: an access
/// change (re-check the affected subscriptions) or a realtime-session event (join, leave, message).
public struct SampleEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// `samplesJSON` is a JSON array of the samples in the API's shape.
        case samples
        /// `samplesJSON` is an ``AccessChange`` as JSON: whose access may have shrunk.
        case access
        /// `samplesJSON` is a ``SessionChange`` as JSON.
        case session
    }

    /// Grows in commit order; a subscriber resumes after the last cursor it received.
    public var cursor: Int64
    public var organization: String
    /// The subject concerned (empty for an access change that names a user).
    public var subject: String
    public var sampleCount: Int
    /// A JSON array of the samples in the API's shape, or the change's JSON for other kinds.
    public var samplesJSON: String
    public var kind: Kind
    /// When it was committed, microseconds since 1970.
    public var committedAt: Int64

    public init(
        cursor: Int64, organization: String, subject: String, sampleCount: Int, samplesJSON: String, kind: Kind = .samples,
        committedAt: Int64 = 0
    ) {
        self.cursor = cursor
        self.organization = organization
        self.subject = subject
        self.sampleCount = sampleCount
        self.samplesJSON = samplesJSON
        self.kind = kind
        self.committedAt = committedAt
    }
}

/// Whose access to health data may just have shrunk: a subject's grants changed, or a user's logins or
/// care teams did. Stream nodes re-check the matching subscriptions and session memberships before they
/// deliver any later event.
public enum AccessChange: Sendable, Equatable {
    case subject(String)
    case user(String)

    /// `{"subject":…}` or `{"user":…}`.
    public var json: String {
        var out: [UInt8] = []
        switch self {
        case .subject(let subject):
            out += #"{"subject":"#.utf8
            JSONValue.appendQuoted(subject, to: &out)
        case .user(let user):
            out += #"{"user":"#.utf8
            JSONValue.appendQuoted(user, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    public init?(json: String) {
        guard case .object(let fields)? = try? JSONParser.parse(Array(json.utf8)) else { return nil }
        if case .string(let subject)? = fields["subject"] {
            self = .subject(subject)
        } else if case .string(let user)? = fields["user"] {
            self = .user(user)
        } else {
            return nil
        }
    }
}
