import VigilAnalytics

/// An actigraphy recording read from a file: a regular grid of epochs in the device's local wall-clock
/// time (no zone). Missing epochs are NaN.
public struct ActigraphyFile: Sendable {
    public enum Format: String, Sendable {
        case csv
        case awd
    }

    public var format: Format
    public var recording: ActigraphyRecording

    /// A reading problem, with the 1-based line it was found on.
    public struct ReadError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int?
        public var reason: String

        public var description: String { line.map { "line \($0): \(reason)" } ?? reason }
    }

    /// Reads CSV (`timestamp,activity`) or Actiwatch AWD, told apart by the file's first line: a CSV
    /// starts with its header.
    public static func read(_ bytes: [UInt8]) throws(ReadError) -> ActigraphyFile {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ReadError(line: nil, reason: "the file is not UTF-8 text")
        }
        // "\r\n" is one Character in Swift, so both line ends are separators.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { line in
            line.last == "\r" ? line.dropLast() : line
        }
        while let last = lines.last, last.allSatisfy({ $0 == " " || $0 == "\t" }) { lines.removeLast() }
        guard let first = lines.first else { throw ReadError(line: nil, reason: "the file is empty") }
        if first.lowercased().hasPrefix("timestamp") {
            return ActigraphyFile(format: .csv, recording: try ActigraphyCSVFile.parse(text, lines: lines))
        }
        return ActigraphyFile(format: .awd, recording: try ActigraphyAWD.parse(lines))
    }
}

/// `timestamp,activity` with one row per epoch and no missing rows (``VigilAnalytics/ActigraphyCSV``),
/// with the problems named for a person.
enum ActigraphyCSVFile {
    static func parse(_ text: String, lines: [Substring]) throws(ActigraphyFile.ReadError) -> ActigraphyRecording {
        guard lines[0].lowercased().filter({ $0 != " " }) == "timestamp,activity" else {
            throw .init(line: 1, reason: "expected the header `timestamp,activity`")
        }
        guard lines.count >= 3 else { throw .init(line: nil, reason: "at least two epochs are needed to know the epoch length") }
        let recording: ActigraphyRecording
        do {
            recording = try ActigraphyCSV.parse(text)
        } catch {
            switch error {
            case .missingHeader: throw .init(line: 1, reason: "expected the header `timestamp,activity`")
            case .malformedRow(let line):
                throw .init(line: line, reason: "expected `YYYY-MM-DDTHH:MM:SS[.fraction]` local time, a comma and a number or nothing")
            case .irregularGrid(let line): throw .init(line: line, reason: "rows must be one epoch apart, increasing, with no missing rows")
            }
        }
        if let bad = recording.values.firstIndex(where: \.isInfinite) ?? recording.values.firstIndex(where: { $0 < 0 }) {
            throw .init(line: bad + 2, reason: "the activity must be a finite count of at least 0")
        }
        return recording
    }
}

/// The Actiwatch AWD text format: a 7-line header (name, start date `DD-Mon-YYYY`, start time `HH:MM`,
/// epoch code, age, serial, sex) and then one line per epoch whose first field is the activity count
/// (a marker or light column may follow). Epoch codes as pyActigraphy reads them.
enum ActigraphyAWD {
    static let epochSeconds: [String: Int64] = ["1": 15, "2": 30, "4": 60, "8": 120, "20": 300, "81": 2, "C1": 5, "C2": 10]
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func parse(_ lines: [Substring]) throws(ActigraphyFile.ReadError) -> ActigraphyRecording {
        guard lines.count > 7 else { throw .init(line: nil, reason: "neither a CSV with a `timestamp,activity` header nor an AWD file") }
        let date = lines[1].trimmingSpaces
        guard let day = parseDate(date) else {
            throw .init(line: 2, reason: "expected the AWD start date as DD-Mon-YYYY, found `\(date)`")
        }
        let time = lines[2].trimmingSpaces
        guard let seconds = LocalTime.secondsOfDay(time) else {
            throw .init(line: 3, reason: "expected the AWD start time as HH:MM, found `\(time)`")
        }
        let code = lines[3].trimmingSpaces
        guard let epoch = epochSeconds[String(code)] else {
            throw .init(line: 4, reason: "unknown AWD epoch code `\(code)` (known: 1, 2, 4, 8, 20, 81, C1, C2)")
        }
        var values = [Double]()
        values.reserveCapacity(lines.count - 7)
        for (offset, line) in lines.dropFirst(7).enumerated() {
            guard let field = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).first,
                let count = Int(field), count >= 0
            else { throw .init(line: offset + 8, reason: "expected an activity count") }
            values.append(Double(count))
        }
        return ActigraphyRecording(
            startLocalMicros: (Int64(day) * 86_400 + seconds) * 1_000_000, epochMicros: epoch * 1_000_000, values: values)
    }

    /// Days since 1970-01-01 of `DD-Mon-YYYY` (month name in English, any case).
    static func parseDate(_ text: Substring) -> Int? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let day = Int(parts[0]), let year = Int(parts[2]), (1900...9999).contains(year),
            let month = months.firstIndex(of: parts[1].lowercased()).map({ $0 + 1 }),
            (1...daysInMonth(year: year, month: month)).contains(day)
        else { return nil }
        return daysFromCivil(year: year, month: month, day: day)
    }
}

/// Local wall-clock times as microseconds since 1970-01-01T00:00:00 in the same (unnamed) zone.
enum LocalTime {
    /// `HH:MM` or `HH:MM:SS` → seconds since midnight.
    static func secondsOfDay(_ text: Substring) -> Int64? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, parts.allSatisfy({ $0.count == 2 }),
            let hours = Int64(parts[0]), let minutes = Int64(parts[1]), (0..<24).contains(hours), (0..<60).contains(minutes)
        else { return nil }
        let seconds = parts.count == 3 ? Int64(parts[2]) : 0
        guard let seconds, (0..<60).contains(seconds) else { return nil }
        return hours * 3600 + minutes * 60 + seconds
    }

    /// `YYYY-MM-DDTHH:MM:SS` (fraction only when not zero).
    static func format(_ micros: Int64) -> String {
        let (days, dayMicros) = micros.floorDivided(by: 86_400_000_000)
        let (year, month, day) = civilFromDays(Int(days))
        let seconds = Int(dayMicros / 1_000_000)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var text = "\(year)-\(two(month))-\(two(day))T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
        if dayMicros % 1_000_000 != 0 {
            let fraction = String(dayMicros % 1_000_000)
            text += "." + String(repeating: "0", count: 6 - fraction.count) + fraction
        }
        return text
    }
}

extension Int64 {
    /// Quotient rounded toward −∞ and the non-negative remainder.
    func floorDivided(by divisor: Int64) -> (Int64, Int64) {
        let remainder = ((self % divisor) + divisor) % divisor
        return ((self - remainder) / divisor, remainder)
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
