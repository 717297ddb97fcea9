/// A strict RFC 8259 parser into ``JSONValue``, written for the ingestion hot path: one pass over the
/// bytes, integers kept exact (`Int64`), and on failure the line, column and byte offset of the problem.
public struct JSONParser {
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public let reason: String
        /// Zero-based byte offset of the problem.
        public let offset: Int
        public let line: Int
        public let column: Int

        public var description: String { "\(reason) at line \(line), column \(column) (byte \(offset))" }
    }

    public static let maxDepth = 64
    /// The longest number accepted, in characters (a double needs at most 17 significant digits; this
    /// leaves room for zeros and exponents while refusing megabyte-long digit strings).
    public static let maxNumberLength = 400

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    private var rejectingNUL = false

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// With `rejectingNUL`, a `\u0000` escape in any string is an error: request bodies never carry NUL
    /// into the database (PostgreSQL text cannot hold it; SQLite would, so the backends would differ).
    public static func parse(_ input: some Collection<UInt8>, rejectingNUL: Bool = false) throws(SyntaxError) -> JSONValue {
        let contiguous = input.withContiguousStorageIfAvailable { buffer in
            Result { () throws(SyntaxError) -> JSONValue in try parseBuffer(buffer, rejectingNUL: rejectingNUL) }
        }
        if let contiguous { return try contiguous.get() }
        let copy = Array(input)
        return try copy.withUnsafeBufferPointer { buffer in
            Result { () throws(SyntaxError) -> JSONValue in try parseBuffer(buffer, rejectingNUL: rejectingNUL) }
        }
        .get()
    }

    private static func parseBuffer(_ buffer: UnsafeBufferPointer<UInt8>, rejectingNUL: Bool) throws(SyntaxError) -> JSONValue {
        var parser = JSONParser(buffer)
        parser.rejectingNUL = rejectingNUL
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.index == buffer.count else { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    private func error(_ reason: String, at offset: Int? = nil) -> SyntaxError {
        let offset = min(offset ?? index, bytes.count)
        var line = 1
        var lineStart = 0
        for i in 0..<offset where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return SyntaxError(reason: reason, offset: offset, line: line, column: offset - lineStart + 1)
    }

    private func describeCurrent() -> String { "unexpected " + describeFound() }

    /// The current byte in words (`character 'x'`, `byte 0x1f`, `end of input`).
    private func describeFound() -> String {
        guard index < bytes.count else { return "end of input" }
        let byte = bytes[index]
        if byte >= 0x20 && byte < 0x7F { return "character '\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16))"
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(SyntaxError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error(describeCurrent())
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) throws(SyntaxError) -> JSONValue {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("invalid literal") }
        for k in 0..<count where bytes[index + k] != word.utf8Start[k] {
            throw error("invalid literal", at: index + k)
        }
        index += count
        return value
    }

    private mutating func enter() throws(SyntaxError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) levels") }
    }

    private mutating func parseObject() throws(SyntaxError) -> JSONValue {
        try enter()
        index += 1
        var members = [String: JSONValue]()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error(
                    index < bytes.count
                        ? "expected a string key, found \(describeFound())"
                        : "unexpected end of input")
            }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after an object key") }
            index += 1
            skipWhitespace()
            members[key] = try parseValue()
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return .object(members)
            } else {
                throw error(
                    "expected ',' or '}' in an object, found \(describeFound())")
            }
        }
    }

    private mutating func parseArray() throws(SyntaxError) -> JSONValue {
        try enter()
        index += 1
        var items = [JSONValue]()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return .array(items)
            } else {
                throw error("expected ',' or ']' in an array, found \(describeFound())")
            }
        }
    }

    private mutating func parseString() throws(SyntaxError) -> String {
        let start = index
        index += 1
        var segmentStart = index
        // Unescaped text is decoded straight from the input; only a string with escapes is built, in one
        // buffer that grows in place (linear in the string's length however many escapes it holds).
        var built: [UInt8] = []
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let tail = UnsafeBufferPointer(rebasing: bytes[segmentStart..<index])
                index += 1
                guard escaped else { return try Self.utf8String(tail, at: segmentStart, parser: self) }
                built.append(contentsOf: tail)
                return try Self.utf8String(UnsafeBufferPointer(start: nil, count: 0), prefix: built, at: start, parser: self)
            }
            if byte == UInt8(ascii: "\\") {
                if !escaped {
                    escaped = true
                    built.reserveCapacity(index - segmentStart + 16)
                }
                built.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[segmentStart..<index]))
                try appendEscape(to: &built)
                segmentStart = index
                continue
            }
            guard byte >= 0x20 else { throw error("control character in a string (escape it)") }
            index += 1
        }
        throw error("unterminated string", at: start)
    }

    private static func utf8String(
        _ bytes: UnsafeBufferPointer<UInt8>,
        prefix: [UInt8]? = nil,
        at offset: Int,
        parser: JSONParser
    ) throws(SyntaxError) -> String {
        let decoded: String?
        if let prefix { decoded = String(validating: prefix, as: UTF8.self) } else { decoded = String(validating: bytes, as: UTF8.self) }
        guard let decoded else { throw parser.error("invalid UTF-8 in a string", at: offset) }
        return decoded
    }

    private mutating func appendEscape(to out: inout [UInt8]) throws(SyntaxError) {
        index += 1
        guard index < bytes.count else { throw error("unterminated string") }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw error("unpaired UTF-16 surrogate")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired UTF-16 surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw error("unpaired UTF-16 surrogate")
            }
            if scalar == 0, rejectingNUL { throw error("\\u0000 (NUL) is not accepted in strings", at: index - 6) }
            // A valid scalar here (surrogates were paired or refused above): append its UTF-8 bytes.
            switch scalar {
            case ..<0x80: out.append(UInt8(scalar))
            case ..<0x800:
                out.append(UInt8(0xC0 | scalar >> 6))
                out.append(UInt8(0x80 | scalar & 0x3F))
            case ..<0x10000:
                out.append(UInt8(0xE0 | scalar >> 12))
                out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
                out.append(UInt8(0x80 | scalar & 0x3F))
            default:
                out.append(UInt8(0xF0 | scalar >> 18))
                out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
                out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
                out.append(UInt8(0x80 | scalar & 0x3F))
            }
        default:
            throw error("invalid escape sequence", at: index - 2)
        }
    }

    private mutating func hex4() throws(SyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 55)
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func parseNumber() throws(SyntaxError) -> JSONValue {
        let start = index
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, (48...57).contains(bytes[index]) else { throw error("invalid number", at: start) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, (48...57).contains(bytes[index]) { throw error("leading zeros are not allowed in numbers", at: start) }
        } else {
            while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, (48...57).contains(bytes[index]) else { throw error("expected digits after '.'") }
            while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, (48...57).contains(bytes[index]) else { throw error("expected digits in the exponent") }
            while index < bytes.count, (48...57).contains(bytes[index]) { index += 1 }
        }
        // No number a client needs is longer; a bound keeps the conversion below linear-time and cheap.
        guard index - start <= Self.maxNumberLength else {
            throw error("a number longer than \(Self.maxNumberLength) characters", at: start)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let integer = Int64(text) { return .integer(integer) }
        // Out-of-range numbers become ±infinity here; validators reject non-finite values with a 422.
        return .number(Double(text) ?? .infinity)
    }
}
