/// Reads the `timestamp,activity` CSV of the reference data: ISO-8601 local timestamps with no zone
/// (`2024-01-01T13:37:00`, optionally with a fraction), one row per epoch, empty activity = missing.
public enum ActigraphyCSV {
    /// Why a CSV could not be read.
    public enum ParseError: Error, Sendable, Equatable {
        /// The first line is not `timestamp,activity`.
        case missingHeader
        /// A row without a valid timestamp or number (1-based line number).
        case malformedRow(line: Int)
        /// Rows must form a regular grid with a positive step.
        case irregularGrid(line: Int)
    }

    /// Parses CSV text into a recording. Numbers use Swift's correctly rounded `Double(_:)`.
    public static func parse(_ text: String) throws(ParseError) -> ActigraphyRecording {
        var lines = text.split(whereSeparator: \.isNewline).makeIterator()
        guard let header = lines.next(), header.trimmingSpaces == "timestamp,activity" else { throw .missingHeader }
        var times: [Int64] = []
        var values: [Double] = []
        var line = 1
        for row in lines {
            line += 1
            guard let comma = row.firstIndex(of: ","), let micros = localMicros(row[..<comma]) else {
                throw .malformedRow(line: line)
            }
            let field = row[row.index(after: comma)...].trimmingSpaces
            let value: Double
            if field.isEmpty {
                value = .nan
            } else if let parsed = Double(field) {
                value = parsed
            } else {
                throw .malformedRow(line: line)
            }
            times.append(micros)
            values.append(value)
        }
        guard let start = times.first else { throw .malformedRow(line: 2) }
        let step = times.count > 1 ? times[1] - times[0] : 60_000_000
        guard step > 0 else { throw .irregularGrid(line: 3) }
        for i in 1..<max(times.count, 1) where times[i] - times[i - 1] != step { throw .irregularGrid(line: i + 2) }
        return ActigraphyRecording(startLocalMicros: start, epochMicros: step, values: values)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.f…]` as microseconds since 1970-01-01T00:00:00.
    public static func localMicros<S: StringProtocol>(_ text: S) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var result: Int64 = 0
            for i in range {
                let d = Int64(bytes[i]) - 48
                guard (0...9).contains(d) else { return nil }
                result = result * 10 + d
            }
            return result
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction: Int64 = 0
        if bytes.count > 19 {
            guard bytes[19] == UInt8(ascii: "."), bytes.count > 20, bytes.count <= 26, let f = number(20..<bytes.count) else {
                return nil
            }
            fraction = f
            for _ in bytes.count..<26 { fraction *= 10 }
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        return ((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000 + fraction
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: Substring {
        let s = self[...]
        let start = s.firstIndex { $0 != " " && $0 != "\r" } ?? s.endIndex
        let end = s.lastIndex { $0 != " " && $0 != "\r" }.map { s.index(after: $0) } ?? start
        return start < end ? Substring(s[start..<end]) : ""
    }
}
