import Crypto
import Foundation

/// One page request of a subject's samples, ordered by (`start`, `uuid`).
public struct SampleQuery: Sendable, Equatable {
    public static let defaultLimit = 100
    public static let limitRange = 1...1000

    public var subject: SubjectID
    public var type: SampleType?
    /// Inclusive lower bound on `start`, microseconds UTC.
    public var from: Int64?
    /// Exclusive upper bound on `start`, microseconds UTC.
    public var to: Int64?
    public var limit: Int
    /// Keyset position: return samples strictly after (start, uuid).
    public var after: PageCursor.Position?

    public init(
        subject: SubjectID, type: SampleType? = nil, from: Int64? = nil, to: Int64? = nil, limit: Int = defaultLimit,
        after: PageCursor.Position? = nil
    ) {
        self.subject = subject
        self.type = type
        self.from = from
        self.to = to
        self.limit = limit
        self.after = after
    }

    /// Builds a query from the raw query-string parameters, with API.md's `400`s.
    public static func parse(subject: SubjectID, parameters: [String: String]) throws(VigilError) -> SampleQuery {
        var query = SampleQuery(subject: subject)
        if let raw = parameters["type"] {
            guard let type = SampleType(rawValue: raw) else {
                throw .invalidParameter(
                    "type must be one of: " + SampleType.allCases.map(\.rawValue).joined(separator: ", "), field: "type")
            }
            query.type = type
        }
        for (name, keyPath) in [("from", \SampleQuery.from), ("to", \SampleQuery.to)] {
            guard let raw = parameters[name] else { continue }
            guard let instant = try? Timestamp(rfc3339: raw) else {
                throw .invalidParameter("\(name) must be an RFC 3339 timestamp with a UTC offset (send '+' as %2B)", field: name)
            }
            query[keyPath: keyPath] = instant.microseconds
        }
        if let from = query.from, let to = query.to, to < from {
            throw .invalidParameter("to must not be before from", field: "to")
        }
        if let raw = parameters["limit"] {
            guard let limit = Int(raw), limitRange.contains(limit) else {
                throw .invalidParameter("limit must be an integer within 1...1000", field: "limit")
            }
            query.limit = limit
        }
        if let raw = parameters["cursor"] {
            query.after = try PageCursor.decode(raw, for: query)
        }
        return query
    }

    /// What a cursor is bound to: the same filters and page size.
    var fingerprint: String {
        OpaqueCursor.fingerprint([
            subject.value, type?.rawValue ?? "", from.map(String.init) ?? "", to.map(String.init) ?? "", String(limit),
        ])
    }
}

/// The opaque keyset cursor of a sample page: the last (start, uuid) returned, bound to its query.
public enum PageCursor {
    public struct Position: Sendable, Equatable {
        public var startMicroseconds: Int64
        public var uuid: String

        public init(startMicroseconds: Int64, uuid: String) {
            self.startMicroseconds = startMicroseconds
            self.uuid = uuid
        }
    }

    public static func encode(_ position: Position, for query: SampleQuery) -> String {
        OpaqueCursor.encode(["1", String(position.startMicroseconds), position.uuid, query.fingerprint])
    }

    static func decode(_ raw: String, for query: SampleQuery) throws(VigilError) -> Position {
        let parts = try OpaqueCursor.decode(raw)
        guard parts.count == 4, parts[0] == "1", let start = Int64(parts[1]), SampleBatchValidator.isUUID(parts[2]) else {
            throw OpaqueCursor.invalid
        }
        guard parts[3] == query.fingerprint else { throw OpaqueCursor.otherQuery }
        return Position(startMicroseconds: start, uuid: parts[2])
    }
}

/// Base64url of `|`-separated fields: the opaque cursors of paged endpoints. A cursor carries a
/// fingerprint of its query so it cannot be reused with other filters.
public enum OpaqueCursor {
    static let invalid = VigilError(.badRequest, code: "invalid_cursor", message: "cursor is not valid")
    static let otherQuery = VigilError(
        .badRequest,
        code: "invalid_cursor",
        message: "cursor belongs to a different query (filters and limit must not change)"
    )

    public static func encode(_ fields: [String]) -> String {
        Data(fields.joined(separator: "|").utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ raw: String) throws(VigilError) -> [String] {
        var base64 = raw.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard raw.count <= 512, let data = Data(base64Encoded: base64) else { throw invalid }
        return String(decoding: data, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false).map(String.init)
    }

    /// A short hash of a query's parameters.
    public static func fingerprint(_ parameters: [String]) -> String {
        SHA256.hash(data: Data(parameters.joined(separator: "|").utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
    }
}

/// One page of samples and the cursor of the next one.
public struct SamplePage: Sendable {
    public var samples: [Sample]
    public var nextCursor: String?

    public init(samples: [Sample], nextCursor: String?) {
        self.samples = samples
        self.nextCursor = nextCursor
    }
}
