/// What a server text message is, found by scanning bytes (no JSON parser per message).
enum MessageKind: Equatable {
    case subscribed
    case sample(Int64)
    case other
}

private let samplePrefix = Array(#"{"type":"sample","cursor":"#.utf8)
private let typeKey = Array(#""type""#.utf8)
private let cursorKey = Array(#""cursor""#.utf8)
private let subscribedValue = Array(#""subscribed""#.utf8)
private let sampleValue = Array(#""sample""#.utf8)

/// Classifies a message: the first `"type"` key is taken as the top-level one (the server writes `type`
/// before any nested object); a sample's cursor is the integer after its first `"cursor":`.
@inline(__always)
func classify(_ message: UnsafeRawBufferPointer) -> MessageKind {
    // Fast path: the server's sample encoding, `{"type":"sample","cursor":N,...`.
    if message.count > samplePrefix.count && hasBytes(message, at: 0, samplePrefix) {
        if let cursor = integer(message, at: samplePrefix.count) { return .sample(cursor) }
        return .other
    }
    guard let typeAt = valueIndex(message, key: typeKey, from: 0) else { return .other }
    if hasBytes(message, at: typeAt, subscribedValue) { return .subscribed }
    if hasBytes(message, at: typeAt, sampleValue),
       let cursorAt = valueIndex(message, key: cursorKey, from: 0),
       let cursor = integer(message, at: cursorAt) {
        return .sample(cursor)
    }
    return .other
}

@inline(__always)
private func hasBytes(_ message: UnsafeRawBufferPointer, at offset: Int, _ bytes: [UInt8]) -> Bool {
    guard offset + bytes.count <= message.count else { return false }
    for index in 0..<bytes.count where message[offset + index] != bytes[index] { return false }
    return true
}

/// Index of the value after `key`, optional whitespace, `:` and optional whitespace.
private func valueIndex(_ message: UnsafeRawBufferPointer, key: [UInt8], from: Int) -> Int? {
    var index = from
    while index + key.count <= message.count {
        if message[index] == key[0] && hasBytes(message, at: index, key) {
            var cursor = index + key.count
            while cursor < message.count && (message[cursor] == 32 || message[cursor] == 9) { cursor += 1 }
            if cursor < message.count && message[cursor] == 58 {  // ':' — a key, not a value
                cursor += 1
                while cursor < message.count && (message[cursor] == 32 || message[cursor] == 9) { cursor += 1 }
                return cursor
            }
        }
        index += 1
    }
    return nil
}

@inline(__always)
private func integer(_ message: UnsafeRawBufferPointer, at offset: Int) -> Int64? {
    var index = offset
    var value: Int64 = 0
    while index < message.count, message[index] >= 48, message[index] <= 57 {
        value = value &* 10 &+ Int64(message[index] - 48)
        index += 1
    }
    return index > offset ? value : nil
}
