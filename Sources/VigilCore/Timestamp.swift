/// An instant with the UTC offset it was written in: microseconds since 1970-01-01T00:00:00Z
/// plus the offset in seconds. Two timestamps are equal only if both the instant and the offset are.
///
/// Parsing and formatting are hand-written (RFC 3339, `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`) because
/// Foundation's ISO 8601 formatters drop the offset and are slow on the ingestion hot path.
public struct Timestamp: Sendable, Hashable {
    public var microseconds: Int64
    public var offsetSeconds: Int32

    public init(microseconds: Int64, offsetSeconds: Int32) {
        self.microseconds = microseconds
        self.offsetSeconds = offsetSeconds
    }

    public enum ParseError: Error, Sendable {
        case malformed
        case fractionTooPrecise
    }

    /// Parses an RFC 3339 timestamp. A space or lower-case `t` may separate date and time, as RFC 3339
    /// allows; fractions are kept to the microsecond (more digits must be zeros).
    public init(rfc3339 text: some StringProtocol) throws(ParseError) {
        var bytes = Array(text.utf8)
        // A `+` sent unencoded in a query string arrives as a space; accept it where the offset starts.
        if bytes.count >= 6, bytes[bytes.count - 6] == UInt8(ascii: " "), bytes[bytes.count - 3] == UInt8(ascii: ":") {
            bytes[bytes.count - 6] = UInt8(ascii: "+")
        }
        self = try Self.parse(bytes)
    }

    private static func parse(_ b: [UInt8]) throws(ParseError) -> Timestamp {
        var i = 0
        func digits(_ n: Int) throws(ParseError) -> Int {
            guard i + n <= b.count else { throw .malformed }
            var value = 0
            for _ in 0..<n {
                let d = Int(b[i]) - 48
                guard (0...9).contains(d) else { throw .malformed }
                value = value * 10 + d
                i += 1
            }
            return value
        }
        func expect(_ c: UInt8) throws(ParseError) {
            guard i < b.count, b[i] == c else { throw .malformed }
            i += 1
        }
        let year = try digits(4)
        try expect(UInt8(ascii: "-"))
        let month = try digits(2)
        try expect(UInt8(ascii: "-"))
        let day = try digits(2)
        guard i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == UInt8(ascii: " ") else {
            throw .malformed
        }
        i += 1
        let hour = try digits(2)
        try expect(UInt8(ascii: ":"))
        let minute = try digits(2)
        try expect(UInt8(ascii: ":"))
        let second = try digits(2)
        var micros = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var count = 0
            while i < b.count, (48...57).contains(b[i]) {
                let d = Int(b[i]) - 48
                if count < 6 {
                    micros = micros * 10 + d
                } else if d != 0 {
                    throw .fractionTooPrecise
                }
                count += 1
                i += 1
            }
            guard count > 0 else { throw .malformed }
            for _ in min(count, 6)..<6 { micros *= 10 }
        }
        guard i < b.count else { throw .malformed }
        var offset = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            let oh = try digits(2)
            try expect(UInt8(ascii: ":"))
            let om = try digits(2)
            guard oh <= 23, om <= 59 else { throw .malformed }
            offset = sign * (oh * 3600 + om * 60)
        default:
            throw .malformed
        }
        guard i == b.count else { throw .malformed }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month), hour <= 23, minute <= 59,
            second <= 59
        else { throw .malformed }
        let days = daysFromCivil(year: year, month: month, day: day)
        let localSeconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        let utcSeconds = localSeconds - Int64(offset)
        // The instant itself must be a four-digit year in UTC too (responses print UTC): 9999-12-31T23:00-05:00
        // would be year 10000.
        guard utcSeconds >= Self.earliestUTCSeconds, utcSeconds <= Self.latestUTCSeconds else { throw .malformed }
        return Timestamp(microseconds: utcSeconds * 1_000_000 + Int64(micros), offsetSeconds: Int32(offset))
    }

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, in seconds since 1970.
    static let earliestUTCSeconds = Int64(daysFromCivil(year: 1, month: 1, day: 1)) * 86_400
    static let latestUTCSeconds = Int64(daysFromCivil(year: 9999, month: 12, day: 31)) * 86_400 + 86_399

    /// RFC 3339 in the timestamp's own offset (`Z` for zero); fractions only when present (3 or 6 digits).
    public var rfc3339: String {
        var out = [UInt8]()
        out.reserveCapacity(32)
        appendRFC3339(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public func appendRFC3339(to out: inout [UInt8]) {
        let local = microseconds + Int64(offsetSeconds) * 1_000_000
        var seconds = local / 1_000_000
        var micros = local % 1_000_000
        if micros < 0 {
            micros += 1_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civilFromDays(Int(days))
        // Fixed-width decimal digits, written in place (this runs twice per sample on every query page).
        func put(_ value: Int, width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(UInt8(48 + (v / divisor) % 10))
                v %= divisor
                divisor /= 10
            }
        }
        put(year, width: 4)
        out.append(UInt8(ascii: "-"))
        put(month, width: 2)
        out.append(UInt8(ascii: "-"))
        put(day, width: 2)
        out.append(UInt8(ascii: "T"))
        put(Int(secondOfDay / 3600), width: 2)
        out.append(UInt8(ascii: ":"))
        put(Int(secondOfDay / 60 % 60), width: 2)
        out.append(UInt8(ascii: ":"))
        put(Int(secondOfDay % 60), width: 2)
        if micros != 0 {
            out.append(UInt8(ascii: "."))
            if micros % 1000 == 0 {
                put(Int(micros / 1000), width: 3)
            } else {
                put(Int(micros), width: 6)
            }
        }
        if offsetSeconds == 0 {
            out.append(UInt8(ascii: "Z"))
        } else {
            out.append(offsetSeconds < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let magnitude = Int(offsetSeconds.magnitude)
            put(magnitude / 3600, width: 2)
            out.append(UInt8(ascii: ":"))
            put(magnitude / 60 % 60, width: 2)
        }
    }
}

func isLeapYear(_ year: Int) -> Bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

func daysInMonth(year: Int, month: Int) -> Int {
    switch month {
    case 2: return isLeapYear(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
}

// Howard Hinnant's civil-date algorithms (proleptic Gregorian calendar).
func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

func civilFromDays(_ days: Int) -> (Int, Int, Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
}
