// libFuzzer target: RFC 3339 timestamps; what parses must format and parse back to the same instant.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    if let instant = try? Timestamp(rfc3339: text) {
        let again = try? Timestamp(rfc3339: instant.rfc3339)
        precondition(again?.microseconds == instant.microseconds, "\(text) did not round-trip")
    }
    return 0
}
