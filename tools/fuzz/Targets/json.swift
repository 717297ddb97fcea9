// libFuzzer target: JSONParser (the request body parser) must never crash, hang or read out of bounds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)
    if let value = try? JSONParser.parse(bytes), allFinite(value) {
        // What parses (with finite numbers: out-of-range ones become ±infinity, which validators refuse)
        // must encode and parse back to the same value.
        let again = try? JSONParser.parse(Array(value.canonicalJSON.utf8))
        precondition(again.map { same($0, value) } == true, "canonical JSON did not round-trip")
    }
    return 0
}

func allFinite(_ value: JSONValue) -> Bool {
    switch value {
    case .number(let number): number.isFinite
    case .array(let items): items.allSatisfy(allFinite)
    case .object(let members): members.values.allSatisfy(allFinite)
    default: true
    }
}

/// Equal as JSON: an integral number may come back as an integer (`1e0` is written `1`).
func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.integer(let x), .number(let y)), (.number(let y), .integer(let x)): Double(x) == y
    case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy(same)
    case (.object(let x), .object(let y)): x.count == y.count && x.allSatisfy { key, value in y[key].map { same(value, $0) } ?? false }
    default: a == b
    }
}
