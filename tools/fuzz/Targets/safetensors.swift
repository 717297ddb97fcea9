// libFuzzer target: safetensors headers (PAT model weights).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    if let file = try? SafeTensorsFile(bytes: Array(UnsafeBufferPointer(start: data, count: count))) {
        for name in file.tensors.keys { _ = try? file.floats(name) }
    }
    return 0
}
