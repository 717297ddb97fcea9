import VigilAnalytics

// libFuzzer target: actigraphy files (Vigil's CSV and Actiwatch AWD), as `vigil import actigraphy` reads them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    _ = try? ActigraphyFile.read(Array(UnsafeBufferPointer(start: data, count: count)))
    return 0
}
