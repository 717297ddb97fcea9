// libFuzzer target: the realtime (WebSocket) JSON reader.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    _ = try? RealtimeJSONReader.parse(Array(UnsafeBufferPointer(start: data, count: count)))
    return 0
}
