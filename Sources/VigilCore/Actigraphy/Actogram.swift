import Foundation
import VigilAnalytics

/// A double-plotted actogram as SVG: one row per local calendar day, each row showing that day and the
/// next (48 h), activity as bars, scored sleep shaded blue, missing epochs shaded grey, a local-time
/// axis on top and the date of each row on the left.
public struct Actogram: Sendable {
    public let window: ActigraphyWindow
    public let sleep: SleepScoring?
    public let algorithmName: String
    public let title: String
    /// Bars are scaled to the 99th percentile of the stored values so one burst does not flatten the rest
    /// (computed once: per bar it made the actogram quadratic in the window's length).
    let scale: Double

    static let left = 110.0
    static let top = 70.0
    static let plotWidth = 960.0
    static let rowHeight = 36.0
    static let dayMicros: Int64 = 86_400_000_000

    public init(window: ActigraphyWindow, sleep: SleepScoring?, algorithmName: String, title: String) {
        self.window = window
        self.sleep = sleep
        self.algorithmName = algorithmName
        self.title = title
        let values = window.recording.values.filter { !$0.isNaN && $0 > 0 }.sorted()
        self.scale = values.isEmpty ? 1 : max(values[min(values.count - 1, Int(Double(values.count) * 0.99))], 1e-9)
    }

    var recording: ActigraphyRecording { window.recording }
    var firstDay: Int64 { recording.startLocalMicros.floorDivided(by: Self.dayMicros).0 }
    var dayCount: Int {
        let last = recording.startLocalMicros + Int64(recording.values.count - 1) * recording.epochMicros
        return Int(last.floorDivided(by: Self.dayMicros).0 - firstDay) + 1
    }

    /// x of a local instant within a row that starts at local midnight `rowStart` (0…plotWidth for 48 h).
    func x(_ local: Int64, rowStart: Int64) -> Double {
        Self.left + Double(local - rowStart) / Double(2 * Self.dayMicros) * Self.plotWidth
    }

    public func svg() -> String {
        let height = Self.top + Double(dayCount) * Self.rowHeight + 50
        let width = Self.left + Self.plotWidth + 30
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" \
            font-family="Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(Self.left))" y="22" font-size="15" font-weight="bold">\(escape(title))</text>
            <text x="\(f(Self.left))" y="40" fill="#444">Double-plotted, 48 h per row, local time (UTC\(offsetText)); \
            shaded: sleep (\(escape(algorithmName))), grey: missing</text>

            """
        for day in 0..<dayCount {
            out += row(day)
        }
        out += axis(height: height)
        out += "</svg>\n"
        return out
    }

    var offsetText: String {
        let seconds = Int(window.firstEpoch.offsetSeconds)
        let sign = seconds < 0 ? "−" : "+"
        let magnitude = abs(seconds)
        return "\(sign)\(two(magnitude / 3600)):\(two(magnitude / 60 % 60))"
    }


    func row(_ day: Int) -> String {
        let rowStart = (firstDay + Int64(day)) * Self.dayMicros
        let baseline = Self.top + Double(day + 1) * Self.rowHeight
        var out = "<g>\n"
        out += shading(rowStart: rowStart, baseline: baseline)
        out += bars(rowStart: rowStart, baseline: baseline)
        out +=
            "<line x1=\"\(f(Self.left))\" y1=\"\(f(baseline))\" x2=\"\(f(Self.left + Self.plotWidth))\" y2=\"\(f(baseline))\" stroke=\"#999\" stroke-width=\"0.5\"/>\n"
        let (year, month, date) = civilFromDays(Int(firstDay) + day)
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][Int((firstDay + Int64(day)).floorDivided(by: 7).1)]
        out += "<text x=\"8\" y=\"\(f(baseline - 12))\">\(weekday) \(year)-\(two(month))-\(two(date))</text>\n</g>\n"
        return out
    }

    /// Sleep and missing runs of the 48 h after `rowStart`, as rectangles.
    func shading(rowStart: Int64, baseline: Double) -> String {
        var out = ""
        let rowEnd = rowStart + 2 * Self.dayMicros
        func runs(first: Int64, epoch: Int64, count: Int, color: String, _ isOn: (Int) -> Bool) {
            let lower = max(0, Int((rowStart - first).floorDivided(by: epoch).0))
            let upper = min(count, Int((rowEnd - first + epoch - 1).floorDivided(by: epoch).0))
            var index = lower
            while index < upper {
                guard isOn(index) else {
                    index += 1
                    continue
                }
                let runStart = index
                while index < upper, isOn(index) { index += 1 }
                let x0 = x(max(rowStart, first + Int64(runStart) * epoch), rowStart: rowStart)
                let x1 = x(min(rowEnd, first + Int64(index) * epoch), rowStart: rowStart)
                out +=
                    "<rect x=\"\(f(x0))\" y=\"\(f(baseline - Self.rowHeight + 2))\" width=\"\(f(x1 - x0))\" height=\"\(f(Self.rowHeight - 2))\" fill=\"\(color)\"/>\n"
            }
        }
        // Sleep first, missing on top: several scorers count a gap as sleep, and a gap must show as a gap.
        if let sleep {
            runs(first: sleep.firstEpochLocalMicros, epoch: sleep.epochMicros, count: sleep.values.count, color: "#cfe3ff") {
                sleep.values[$0] == 1
            }
        }
        runs(first: recording.startLocalMicros, epoch: recording.epochMicros, count: recording.values.count, color: "#e0e0e0") {
            recording.values[$0].isNaN
        }
        return out
    }

    /// Activity as one path of bars, one per pixel column (the mean of the epochs it covers).
    func bars(rowStart: Int64, baseline: Double) -> String {
        let columns = Int(Self.plotWidth)
        var sums = [Double](repeating: 0, count: columns)
        var counts = [Int](repeating: 0, count: columns)
        let first = recording.startLocalMicros
        let epoch = recording.epochMicros
        let lower = max(0, Int((rowStart - first).floorDivided(by: epoch).0))
        let upper = min(recording.values.count, Int((rowStart + 2 * Self.dayMicros - first).floorDivided(by: epoch).0) + 1)
        if lower < upper {
            for index in lower..<upper {
                let local = first + Int64(index) * epoch
                guard local >= rowStart, local < rowStart + 2 * Self.dayMicros, !recording.values[index].isNaN else { continue }
                let column = min(columns - 1, Int(x(local, rowStart: rowStart) - Self.left))
                sums[column] += recording.values[index]
                counts[column] += 1
            }
        }
        let maximumHeight = Self.rowHeight - 4
        var path = ""
        for column in 0..<columns where counts[column] > 0 && sums[column] > 0 {
            let height = min(1, sums[column] / Double(counts[column]) / scale) * maximumHeight
            path += "M\(f(Self.left + Double(column))),\(f(baseline))v-\(f(height))h1v\(f(height))z"
        }
        return path.isEmpty ? "" : "<path d=\"\(path)\" fill=\"#222\"/>\n"
    }

    func axis(height: Double) -> String {
        var out = ""
        for hour in stride(from: 0, through: 48, by: 3) {
            let xPosition = Self.left + Double(hour) / 48 * Self.plotWidth
            let major = hour % 6 == 0
            out +=
                "<line x1=\"\(f(xPosition))\" y1=\"\(f(Self.top - 4))\" x2=\"\(f(xPosition))\" y2=\"\(f(height - 50))\" stroke=\"\(major ? "#bbb" : "#e4e4e4")\" stroke-width=\"0.6\"/>\n"
            if major {
                out += "<text x=\"\(f(xPosition))\" y=\"\(f(Self.top - 8))\" text-anchor=\"middle\">\(two(hour % 24)):00</text>\n"
            }
        }
        out += "<text x=\"\(f(Self.left + Self.plotWidth / 2))\" y=\"\(f(height - 20))\" text-anchor=\"middle\" fill=\"#444\">"
        out += "local time of day (day on the left half, the next day on the right half)</text>\n"
        return out
    }

    func f(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

    func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;")
    }
}
