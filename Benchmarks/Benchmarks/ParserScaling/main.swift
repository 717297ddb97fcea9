import Foundation
import VigilCore

// Time per input byte of the request parsers on pathological inputs from 1 KB to 8 MB: a linear-time
// parser shows a flat line. Run: swift build -c release --product ParserScaling && .build/release/ParserScaling

func measure(_ bytes: [UInt8], _ parse: ([UInt8]) -> Void) -> Double {
    var best = Double.infinity
    let repeats = bytes.count < 100_000 ? 50 : 5
    for _ in 0..<repeats {
        let start = ContinuousClock.now
        parse(bytes)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        best = min(best, seconds)
    }
    return best * 1e9 / Double(bytes.count)
}

func string(_ content: String, size: Int) -> [UInt8] {
    let unit = Array(content.utf8)
    var out: [UInt8] = [UInt8(ascii: "\"")]
    while out.count + unit.count < size - 1 { out += unit }
    return out + [UInt8(ascii: "\"")]
}

let families: [(String, (Int) -> [UInt8])] = [
    ("string of \\n escapes", { string("\\n", size: $0) }),
    ("string of \\u escapes", { string("\\u00e9", size: $0) }),
    ("multi-byte UTF-8 string", { string("é😀中", size: $0) }),
    ("deep nesting (refused at 64)", { Array(repeating: UInt8(ascii: "["), count: $0) }),
    ("one long number (refused over 400)", { Array("1".utf8) + Array(repeating: UInt8(ascii: "0"), count: $0 - 1) }),
    ("array of numbers", { size in
        var out = Array("[".utf8)
        while out.count < size - 30 { out += Array("123456.789e-3,".utf8) }
        return out + Array("0]".utf8)
    }),
    ("many object keys", { size in
        var out = Array("{".utf8)
        var index = 0
        while out.count < size - 40 {
            out += Array("\"key\(index)\":\(index),".utf8)
            index += 1
        }
        return out + Array("\"end\":0}".utf8)
    }),
]
let sizes = [1 << 10, 1 << 13, 1 << 16, 1 << 19, 1 << 23]
print("ns per byte, JSONParser.parse (best of repeats)")
print("input".padding(toLength: 36, withPad: " ", startingAt: 0) + sizes.map { String("\($0 >> 10) KB".padding(toLength: 10, withPad: " ", startingAt: 0)) }.joined())
for (name, make) in families {
    var line = name.padding(toLength: 36, withPad: " ", startingAt: 0)
    for size in sizes {
        let input = make(size)
        let ns = measure(input) { _ = try? JSONParser.parse($0) }
        line += String(format: "%-10.2f", ns)
    }
    print(line)
}
print("\nns per byte, RFC 3339 timestamp of the given length (refused past the grammar)")
for size in sizes {
    let text = "2026-11-20T07:15:00." + String(repeating: "0", count: size - 26) + "+01:00"
    let ns = measure(Array(text.utf8)) { bytes in _ = try? Timestamp(rfc3339: String(decoding: bytes, as: UTF8.self)) }
    print("\(size >> 10) KB: " + String(format: "%.2f", ns))
}
