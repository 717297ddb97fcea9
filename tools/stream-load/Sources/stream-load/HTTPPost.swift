#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A blocking HTTP/1.1 POST over a plain socket: one request per connection (`Connection: close`); the body
/// is read by `Content-Length` (or chunked encoding, or to end of stream when neither is given).
func httpPost(host: String, port: Int, path: String, json: String, token: String? = nil) throws -> (status: Int, body: String) {
    let fd = try connectSocket(host: host, port: port)
    defer { close(fd) }
    var timeout = timeval(tv_sec: 60, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))

    let body = Array(json.utf8)
    var request = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: application/json\r\n"
    request += "Content-Length: \(body.count)\r\nConnection: close\r\n"
    if let token { request += "Authorization: Bearer \(token)\r\n" }
    let bytes = Array((request + "\r\n").utf8) + body
    var sent = 0
    while sent < bytes.count {
        let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard count > 0 else { throw UsageError(description: "POST \(path): send failed, errno \(errno)") }
        sent += count
    }

    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16384)
    var headerEnd: Int?
    var status = 0
    var contentLength: Int?
    var chunked = false
    while true {
        if headerEnd == nil, let end = findHeaderEnd(response[...]) {
            headerEnd = end
            let head = String(decoding: response[..<end], as: UTF8.self).lowercased()
            let lines = head.split(separator: "\r\n")
            let statusParts = lines.first?.split(separator: " ") ?? []
            status = statusParts.count > 1 ? Int(statusParts[1]) ?? 0 : 0
            for line in lines.dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingSpaces }
                guard parts.count == 2 else { continue }
                if parts[0] == "content-length" { contentLength = Int(parts[1]) }
                if parts[0] == "transfer-encoding" && parts[1].contains("chunked") { chunked = true }
            }
        }
        if let end = headerEnd {
            let received = response[end...]
            if let contentLength, received.count >= contentLength {
                return (status, String(decoding: received.prefix(contentLength), as: UTF8.self))
            }
            if chunked, let decoded = dechunk(Array(received)) {
                return (status, String(decoding: decoded, as: UTF8.self))
            }
        }
        let count = recv(fd, &chunk, chunk.count, 0)
        if count < 0 { throw UsageError(description: "POST \(path): recv failed, errno \(errno)") }
        if count == 0 {
            guard let end = headerEnd, contentLength == nil, !chunked else {
                throw UsageError(description: "POST \(path): connection closed before the response was complete")
            }
            return (status, String(decoding: response[end...], as: UTF8.self))
        }
        response += chunk[0..<count]
    }
}

/// Index just past `\r\n\r\n`, if present.
func findHeaderEnd(_ bytes: ArraySlice<UInt8>) -> Int? {
    guard bytes.count >= 4 else { return nil }
    var index = bytes.startIndex
    while index + 3 < bytes.endIndex {
        if bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 4
        }
        index += 1
    }
    return nil
}

/// The decoded body of a complete chunked message, or nil while incomplete.
private func dechunk(_ bytes: [UInt8]) -> [UInt8]? {
    var out: [UInt8] = []
    var index = 0
    while true {
        var lineEnd = index
        while lineEnd + 1 < bytes.count && !(bytes[lineEnd] == 13 && bytes[lineEnd + 1] == 10) { lineEnd += 1 }
        guard lineEnd + 1 < bytes.count else { return nil }
        let sizeText = String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
        guard let size = Int(sizeText.trimmingSpaces, radix: 16) else { return nil }
        let start = lineEnd + 2
        if size == 0 { return out }
        guard start + size + 2 <= bytes.count else { return nil }
        out += bytes[start..<start + size]
        index = start + size + 2
    }
}

func connectSocket(host: String, port: Int) throws -> Int32 {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    #if canImport(Glibc)
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    #else
    hints.ai_socktype = SOCK_STREAM
    #endif
    var result: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(host, String(port), &hints, &result)
    guard status == 0, let first = result else { throw UsageError(description: "cannot resolve \(host): \(status)") }
    defer { freeaddrinfo(first) }
    var entry: UnsafeMutablePointer<addrinfo>? = first
    while let info = entry {
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        if fd >= 0 {
            if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            close(fd)
        }
        entry = info.pointee.ai_next
    }
    throw UsageError(description: "cannot connect to \(host):\(port): errno \(errno)")
}

/// The string value of `"key"` in a flat JSON object (no unescaping beyond `\"`-free tokens).
func jsonStringField(_ json: String, _ key: String) -> String? {
    let bytes = Array(json.utf8)
    guard let valueStart = findJSONValue(bytes, key: Array("\"\(key)\"".utf8)), bytes[valueStart] == UInt8(ascii: "\"") else {
        return nil
    }
    var end = valueStart + 1
    while end < bytes.count && bytes[end] != UInt8(ascii: "\"") { end += 1 }
    return end < bytes.count ? String(decoding: bytes[(valueStart + 1)..<end], as: UTF8.self) : nil
}

private func findJSONValue(_ bytes: [UInt8], key: [UInt8]) -> Int? {
    var index = 0
    while index + key.count <= bytes.count {
        if bytes[index..<(index + key.count)].elementsEqual(key) {
            var cursor = index + key.count
            while cursor < bytes.count && (bytes[cursor] == 32 || bytes[cursor] == 58 || bytes[cursor] == 9) { cursor += 1 }
            return cursor < bytes.count ? cursor : nil
        }
        index += 1
    }
    return nil
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
