/// A parsed JSON value as the realtime parser sees it. Numbers keep their source text so integer fields can be
/// checked exactly (no `Double` round trip turning `1.0` or `1e3` into an accepted integer).
enum RealtimeJSONNode: Equatable, Sendable {
    case object([String: RealtimeJSONNode])
    case array([RealtimeJSONNode])
    case string(String)
    case number(String)
    case bool(Bool)
    case null
}

/// A strict RFC 8259 reader for small client frames: validates UTF-8, rejects duplicate keys (two `type` keys
/// would make the message ambiguous) and trailing content, and bounds nesting so hostile input cannot exhaust
/// the stack. Hand-written so the core needs no Foundation and behaves the same on every platform.
struct RealtimeJSONReader {
    /// Deepest nesting accepted; client messages need 2 (object holding an array).
    static let maxDepth = 16

    struct Failure: Error, Equatable {
        var reason: String
    }

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Parses one complete JSON document.
    static func parse(_ bytes: [UInt8]) throws(Failure) -> RealtimeJSONNode {
        guard RealtimeUTF8.isValid(bytes) else { throw Failure(reason: "frame is not valid UTF-8") }
        var reader = RealtimeJSONReader(bytes)
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.index == bytes.count else { throw Failure(reason: "unexpected content after JSON value") }
        return value
    }

    private mutating func value(depth: Int) throws(Failure) -> RealtimeJSONNode {
        guard depth <= Self.maxDepth else { throw Failure(reason: "nesting too deep") }
        skipWhitespace()
        guard index < bytes.count else { throw Failure(reason: "unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .number(try number())
        }
    }

    private mutating func object(depth: Int) throws(Failure) -> RealtimeJSONNode {
        index += 1
        var members: [String: RealtimeJSONNode] = [:]
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return .object(members) }
        repeat {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Failure(reason: "expected object key") }
            let key = try string()
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw Failure(reason: "expected ':'") }
            let member = try value(depth: depth + 1)
            guard members.updateValue(member, forKey: key) == nil else { throw Failure(reason: "duplicate key \"\(key)\"") }
            skipWhitespace()
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "}")) else { throw Failure(reason: "expected ',' or '}'") }
        return .object(members)
    }

    private mutating func array(depth: Int) throws(Failure) -> RealtimeJSONNode {
        index += 1
        var elements: [RealtimeJSONNode] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return .array(elements) }
        repeat {
            elements.append(try value(depth: depth + 1))
            skipWhitespace()
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "]")) else { throw Failure(reason: "expected ',' or ']'") }
        return .array(elements)
    }

    private mutating func string() throws(Failure) -> String {
        index += 1
        var scalars = String.UnicodeScalarView()
        var runStart = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                scalars.append(contentsOf: String(decoding: bytes[runStart..<index], as: UTF8.self).unicodeScalars)
                index += 1
                return String(scalars)
            }
            if byte < 0x20 { throw Failure(reason: "unescaped control character in string") }
            if byte == UInt8(ascii: "\\") {
                scalars.append(contentsOf: String(decoding: bytes[runStart..<index], as: UTF8.self).unicodeScalars)
                scalars.append(try escape())
                runStart = index
            } else {
                index += 1
            }
        }
        throw Failure(reason: "unterminated string")
    }

    private mutating func escape() throws(Failure) -> Unicode.Scalar {
        index += 1
        guard index < bytes.count else { throw Failure(reason: "unterminated escape") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try hex4()
            if (0xD800...0xDBFF).contains(high) {
                guard consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")) else { throw Failure(reason: "lone surrogate") }
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw Failure(reason: "invalid surrogate pair") }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
            }
            // A lone low surrogate has no scalar; `Unicode.Scalar(_:)` returns nil for it.
            guard let scalar = Unicode.Scalar(high) else { throw Failure(reason: "lone surrogate") }
            return scalar
        default: throw Failure(reason: "invalid escape")
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw Failure(reason: "short \\u escape") }
        var value: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            guard let digit = Self.hexDigit(byte) else { throw Failure(reason: "invalid \\u escape") }
            value = value << 4 | digit
        }
        index += 4
        return value
    }

    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// Checks the RFC 8259 number grammar and returns the source text.
    private mutating func number() throws(Failure) -> String {
        let start = index
        _ = consume(UInt8(ascii: "-"))
        if consume(UInt8(ascii: "0")) {
            // Leading zeros ("01") are not JSON.
        } else {
            guard digits() > 0 else { throw Failure(reason: "invalid value") }
        }
        if consume(UInt8(ascii: ".")) {
            guard digits() > 0 else { throw Failure(reason: "invalid number") }
        }
        if consume(UInt8(ascii: "e")) || consume(UInt8(ascii: "E")) {
            if !consume(UInt8(ascii: "+")) { _ = consume(UInt8(ascii: "-")) }
            guard digits() > 0 else { throw Failure(reason: "invalid number") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func digits() -> Int {
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return index - start
    }

    private mutating func literal(_ word: String) throws(Failure) {
        let expected = Array(word.utf8)
        guard index + expected.count <= bytes.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
            throw Failure(reason: "invalid literal")
        }
        index += expected.count
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }
}
