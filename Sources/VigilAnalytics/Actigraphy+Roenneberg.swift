extension Actigraphy {
    /// Roenneberg's rest detection, `raw.Roenneberg(...)` with `settings`. Values are nil where the 24-h
    /// trend is undefined (fewer than `minTrendHours` of data in the window) and no bout covers the epoch.
    ///
    /// - Throws: `noRestPeriod` without seeds or bouts; `insufficientData(metric: "roenneberg", …)` when a
    ///   seed lies too close to the end of the recording (pyActigraphy raises there too).
    public static func roenneberg(
        _ recording: ActigraphyRecording, settings: RoennebergSettings = .init()
    ) throws(ActigraphyError) -> SleepScoring {
        let sw = try RoennebergDetection.run(recording, settings: settings)
        return roennebergScoring(sw, recording: recording)
    }

    static func roennebergScoring(_ sw: [Double], recording: ActigraphyRecording) -> SleepScoring {
        SleepScoring(
            firstEpochLocalMicros: recording.startLocalMicros, epochMicros: recording.epochMicros,
            values: sw.map { $0.isNaN ? nil : UInt8($0) })
    }

    /// Sleep regularity index, `raw.SleepRegularityIndex(bin_threshold=None, algo='Roenneberg')`:
    /// 200 · mean over times of day of the fraction of unchanged day-to-day Roenneberg states − 100.
    /// Returns nil where pyActigraphy gives NaN: a gap in the Roenneberg output, or a time of day seen once.
    ///
    /// - Throws: `insufficientData(metric: "sri", …)` when the recording does not cover every time of day;
    ///   the Roenneberg errors otherwise.
    public static func sleepRegularityIndex(
        _ recording: ActigraphyRecording, settings: RoennebergSettings = .init()
    ) throws(ActigraphyError) -> Double? {
        guard let slots = DailySlots(recording) else {
            throw .insufficientData(metric: "sri", minimum: dailyCoverage)
        }
        let sw = try RoennebergDetection.run(recording, settings: settings)
        return sleepRegularityIndex(rest: sw, slots: slots)
    }

    static func sleepRegularityIndex(rest sw: [Double], slots: DailySlots) -> Double? {
        // Epochs grouped by slot, each group in time order (a counting sort).
        var groupStart = [Int](repeating: 0, count: slots.count + 1)
        for slot in slots.slotOfEpoch { groupStart[slot + 1] += 1 }
        for s in 0..<slots.count { groupStart[s + 1] += groupStart[s] }
        var fill = groupStart
        var members = [Int](repeating: 0, count: slots.slotOfEpoch.count)
        for (i, slot) in slots.slotOfEpoch.enumerated() {
            members[fill[slot]] = i
            fill[slot] += 1
        }
        var stability = [Double](repeating: .nan, count: slots.count)
        var agreements: [Double] = []
        for slot in 0..<slots.count where groupStart[slot + 1] - groupStart[slot] >= 2 {
            agreements.removeAll(keepingCapacity: true)
            for d in (groupStart[slot] + 1)..<groupStart[slot + 1] {
                agreements.append(1 - abs(sw[members[d]] - sw[members[d - 1]]))
            }
            stability[slot] = NumpySum.sum(agreements) / Double(agreements.count)
        }
        let sri = 200 * (NumpySum.sum(stability) / Double(stability.count)) - 100
        return sri.isNaN ? nil : sri
    }
}
