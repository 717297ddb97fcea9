/// Webster's five rescoring rules as pyActigraphy applies them: every rule reads the same raw series and
/// can only turn sleep (1) into wake (0); the result is the raw series times all masks.
enum WebsterRescoring {
    /// (wake epochs before, sleep epochs cleared, minimum sleep-run length) of R1–R3.
    private static let leadRules = [(4, 1, 1), (10, 3, 3), (15, 4, 4)]
    /// (minimum wake-run length, maximum gap) of R4 and R5.
    private static let bridgeRules = [(10, 6), (20, 10)]

    static func apply(_ raw: [UInt8]) -> [UInt8] {
        let n = raw.count
        var mask = [UInt8](repeating: 1, count: n)
        let sleepRuns = runs(of: 1, in: raw)
        let wakeRuns = runs(of: 0, in: raw)
        // R1–R3: after at least 4 / 10 / 15 wake epochs, clear the first 1 / 3 / 4 epochs of a long-enough sleep run.
        for run in sleepRuns {
            for (wake, cleared, minLength) in leadRules {
                guard run.end - run.start >= minLength, run.start >= wake,
                    precedingWake(raw, before: run.start, count: wake)
                else { continue }
                for i in run.start..<(run.start + cleared) { mask[i] = 0 }
            }
        }
        // R4, R5: clear short stretches (≤ 6 / ≤ 10 epochs) between long wake runs (≥ 10 / ≥ 20 epochs).
        for (minWake, maxGap) in bridgeRules {
            let long = wakeRuns.filter { $0.end - $0.start >= minWake }
            for pair in zip(long, long.dropFirst()) where pair.1.start - pair.0.end <= maxGap {
                for i in pair.0.end..<pair.1.start { mask[i] = 0 }
            }
        }
        return zip(raw, mask).map { $0 * $1 }
    }

    private static func precedingWake(_ raw: [UInt8], before start: Int, count: Int) -> Bool {
        for i in (start - count)..<start where raw[i] != 0 { return false }
        return true
    }

    /// Maximal runs [start, end) of `value`.
    static func runs(of value: UInt8, in series: [UInt8]) -> [(start: Int, end: Int)] {
        var result: [(start: Int, end: Int)] = []
        var i = 0
        while i < series.count {
            if series[i] == value {
                let start = i
                while i < series.count && series[i] == value { i += 1 }
                result.append((start, i))
            } else {
                i += 1
            }
        }
        return result
    }
}
