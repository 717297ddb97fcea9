import Foundation

/// Per-minute-of-week standardization parameters of a cohort (a fitted sklearn `StandardScaler`).
///
/// CSV format: a header line `minute,mean,std`, then exactly 10080 rows `m,mean_m,std_m` with
/// m = 0, 1, …, 10079 in order (minute 0 = 00:00 of day 0), decimal numbers, std ≥ 0. Blank lines
/// and a trailing newline are ignored; `\r\n` line endings are accepted.
public enum PATCohortStatistics {
    /// Reads a statistics CSV from disk.
    public static func load(contentsOf url: URL) throws(PATModelError) -> (mean: [Double], std: [Double]) {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw .invalidCohortStatistics("cannot read \(url.path): \(error.localizedDescription)")
        }
        return try parse(csv: text)
    }

    /// Parses the CSV text described above.
    public static func parse(csv: String) throws(PATModelError) -> (mean: [Double], std: [Double]) {
        let lines = csv.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard lines.first == "minute,mean,std" else {
            throw .invalidCohortStatistics("first line must be the header 'minute,mean,std'")
        }
        let rows = lines.dropFirst()
        guard rows.count == PATModel.inputLength else {
            throw .invalidCohortStatistics("expected \(PATModel.inputLength) rows, found \(rows.count)")
        }
        var mean: [Double] = []
        var std: [Double] = []
        mean.reserveCapacity(rows.count)
        std.reserveCapacity(rows.count)
        for (minute, line) in rows.enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 3, Int(fields[0]) == minute,
                let m = Double(fields[1]), let s = Double(fields[2])
            else {
                throw .invalidCohortStatistics("row for minute \(minute) is malformed: '\(line)'")
            }
            mean.append(m)
            std.append(s)
        }
        try validate(mean: mean, std: std)
        return (mean, std)
    }

    static func validate(mean: [Double], std: [Double]) throws(PATModelError) {
        let count = PATModel.inputLength
        guard mean.count == count, std.count == count else {
            throw .invalidCohortStatistics("mean and std need \(count) values each, got \(mean.count) and \(std.count)")
        }
        if let i = mean.firstIndex(where: { !$0.isFinite }) {
            throw .invalidCohortStatistics("mean of minute \(i) is not finite")
        }
        if let i = std.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw .invalidCohortStatistics("std of minute \(i) is negative or not finite")
        }
    }
}
