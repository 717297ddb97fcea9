/// Roenneberg's rest detection (`raw.Roenneberg()`), DEFINITIONS.md §12. Output per epoch: 1 rest,
/// 0 active, NaN where the trend is undefined and no bout overwrote it.
enum RoennebergDetection {
    static func run(_ recording: ActigraphyRecording, settings: RoennebergSettings) throws(ActigraphyError) -> [Double] {
        let epoch = Double(recording.epochMicros)
        let x = recording.values
        let n = x.count
        // int(period / epoch) as pandas computes it, from microseconds so that whole minutes stay exact.
        // Clamped to 0...2n+2: every count past 2n+1 gives the same windows (the whole recording), and
        // none can overflow an index computation.
        func epochs(_ amount: Double, unitMicros: Double) -> Int {
            min(max(Int(saturating: amount * unitMicros / epoch), 0), 2 * n + 2)
        }
        let trendWindow = epochs(settings.trendHours, unitMicros: 3_600_000_000)
        let minTrend = epochs(settings.minTrendHours, unitMicros: 3_600_000_000)
        let seedLength = epochs(settings.minSeedMinutes, unitMicros: 60_000_000)
        let testLength = epochs(settings.maxTestHours, unitMicros: 3_600_000_000)
        let consecutive = epochs(settings.consecutiveBelowMinutes, unitMicros: 60_000_000)
        guard n >= max(minTrend, 1) else {
            throw .insufficientData(
                metric: "roenneberg", minimum: "\(settings.minTrendHours.plainDescription) h of epochs for the activity trend")
        }

        let trend = x.withUnsafeBufferPointer { v in
            RollingKahanWindow.roll(v, count: n, output: .mean, minPeriods: minTrend) { i in
                let end = i + 1 + (trendWindow - 1) / 2
                return (min(max(end - trendWindow, 0), n), min(end, n))
            }
        }
        var sw = [Double](repeating: .nan, count: n)
        for i in 0..<n where !trend[i].isNaN {
            sw[i] = x[i] <= settings.threshold * trend[i] ? 1 : 0
        }

        let seeds = RestSeeds.starts(ofOnesIn: sw, minLength: seedLength)
        guard let firstSeed = seeds.first else { throw .noRestPeriod(algorithm: "roenneberg") }
        clearRest(&sw, 0..<firstSeed)

        var lastOffset: Int? = nil
        var correlation = StepCorrelation()
        for (number, seed) in seeds.enumerated() {
            if number % 1024 == 1023, Task.isCancelled { throw .cancelled }
            if let offset = lastOffset {
                if seed < offset { continue }
                // numpy's sw[offset + 1:seed] = 0: empty when the seed starts at the offset itself.
                if offset + 1 < seed { clearRest(&sw, (offset + 1)..<seed) }
            }
            let windowEnd = min(seed + testLength, n - 1)
            let length = min(testLength, windowEnd - seed + 1)
            guard length >= consecutive + 2 else {
                throw .insufficientData(
                    metric: "roenneberg",
                    minimum: "\(consecutive + 2) epochs between the last rest onset and the end of the recording")
            }
            let peak = sw.withUnsafeBufferPointer { all in
                correlation.highestPeak(UnsafeBufferPointer(rebasing: all[seed..<(seed + length)]), followers: consecutive + 1)
            }
            if let k = peak {
                for i in seed...(seed + k) { sw[i] = 1 }
                lastOffset = seed + k
            }
        }
        guard let offset = lastOffset else { throw .noRestPeriod(algorithm: "roenneberg") }
        clearRest(&sw, (offset + 1)..<n)
        return sw
    }

    /// Rest (1) becomes active (0) in `range`; missing stays missing.
    private static func clearRest(_ sw: inout [Double], _ range: Range<Int>) {
        guard !range.isEmpty else { return }
        for i in range where sw[i] == 1 { sw[i] = 0 }
    }
}

/// Roenneberg seeds: start indices of maximal runs of ones of at least `minLength` (a missing value ends a run).
enum RestSeeds {
    static func starts(ofOnesIn series: [Double], minLength: Int) -> [Int] {
        var result: [Int] = []
        var i = 0
        while i < series.count {
            if series[i] == 1 {
                let start = i
                while i < series.count && series[i] == 1 { i += 1 }
                if i - start >= minLength { result.append(start) }
            } else {
                i += 1
            }
        }
        return result
    }
}

extension Double {
    /// "12" for whole numbers, "1.5" otherwise, for error messages.
    var plainDescription: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}
