import Foundation
import Logging
import NIOConcurrencyHelpers
import VigilCore

/// Writes one JSON object per line: `ts`, `level`, `logger`, `msg` and the metadata as keys.
/// Callers log ids, routes, counts and durations — never bodies, tokens, passwords or health values.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let stream: Stream

    public enum Stream: Sendable {
        case standardOutput, standardError
    }

    private static let lock = NIOLock()

    public init(label: String, stream: Stream = .standardOutput) {
        self.label = label
        self.stream = stream
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        var out = [UInt8]()
        out.append(contentsOf: #"{"ts":""#.utf8)
        out.append(contentsOf: Date().formatted(.iso8601).utf8)
        out.append(contentsOf: #"","level":""#.utf8)
        out.append(contentsOf: event.level.rawValue.utf8)
        out.append(contentsOf: #"","logger":"#.utf8)
        JSONValue.appendQuoted(label, to: &out)
        out.append(contentsOf: #","msg":"#.utf8)
        JSONValue.appendQuoted(event.message.description, to: &out)
        for key in fields.keys.sorted() where !["ts", "level", "logger", "msg"].contains(key) {
            out.append(UInt8(ascii: ","))
            JSONValue.appendQuoted(key, to: &out)
            out.append(UInt8(ascii: ":"))
            Self.json(fields[key]!).appendCanonical(to: &out)
        }
        out.append(contentsOf: "}\n".utf8)
        let handle = stream == .standardOutput ? FileHandle.standardOutput : FileHandle.standardError
        Self.lock.withLock { handle.write(Data(out)) }
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let items): .array(items.map(json))
        case .dictionary(let members): .object(members.mapValues(json))
        }
    }
}
