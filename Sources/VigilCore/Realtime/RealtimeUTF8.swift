/// Strict UTF-8 validation (RFC 3629): rejects overlong forms, surrogates and code points above U+10FFFF.
/// `String(decoding:as:)` silently repairs bad input, and `String(validating:)` needs newer Apple OS versions,
/// so frames are checked here once before any decoding.
enum RealtimeUTF8 {
    static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        while let lead = iterator.next() {
            let continuationCount: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch lead {
            case 0x00...0x7F: continue
            case 0xC2...0xDF: continuationCount = 1
            case 0xE0: continuationCount = 2; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: continuationCount = 2
            case 0xED: continuationCount = 2; upper = 0x9F  // excludes UTF-16 surrogates
            case 0xF0: continuationCount = 3; lower = 0x90
            case 0xF1...0xF3: continuationCount = 3
            case 0xF4: continuationCount = 3; upper = 0x8F  // nothing above U+10FFFF
            default: return false
            }
            for position in 0..<continuationCount {
                guard let byte = iterator.next() else { return false }
                // Only the first continuation byte has the narrowed range that rules out overlongs.
                let range: ClosedRange<UInt8> = position == 0 ? lower...upper : 0x80...0xBF
                guard range.contains(byte) else { return false }
            }
        }
        return true
    }
}
