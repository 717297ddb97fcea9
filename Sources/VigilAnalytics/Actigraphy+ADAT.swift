extension Actigraphy {
    /// Average daily activity, `raw.ADAT(binarize:, threshold:, rescale=True, exclude_ends=False)`.
    ///
    /// Per calendar day (local midnight to midnight) the Kahan sum is scaled up to a full day by
    /// (epochs per day) / (non-missing epochs); the result is the mean over days with any data. Units are
    /// active epochs per day when binarized, counts per day otherwise.
    ///
    /// - Throws: `insufficientData(metric: "adat", …)` when no epoch has a value.
    public static func adat(
        _ recording: ActigraphyRecording, binarize: Bool = true, threshold: Double = 4
    ) throws(ActigraphyError) -> Double {
        let values = recording.prepared(binarize: binarize, threshold: threshold).values
        guard !values.isEmpty else { throw .insufficientData(metric: "adat", minimum: anyValue) }
        let firstDay = LocalTime.dayNumber(recording.startLocalMicros)
        let lastDay = LocalTime.dayNumber(recording.localMicros(ofEpoch: values.count - 1))
        var days = [KahanSum](repeating: KahanSum(), count: Int(lastDay - firstDay) + 1)
        // Walk the midnights instead of dividing per epoch.
        var day = 0
        var nextMidnight = (firstDay + 1) * LocalTime.microsPerDay
        var time = recording.startLocalMicros
        for v in values {
            while time >= nextMidnight {
                day += 1
                nextMidnight += LocalTime.microsPerDay
            }
            days[day].add(v)
            time += recording.epochMicros
        }
        let epochsPerDay = 86_400 / recording.epochSeconds
        // Evaluated in pyActigraphy's order: weight first, then the product; an empty day gives 0·inf = NaN.
        let daily = days.map { day -> Double in
            let weight = epochsPerDay / Double(day.count)
            return day.sum * weight
        }
        let mean = NumpySum.nanMean(daily)
        guard !mean.isNaN else { throw .insufficientData(metric: "adat", minimum: anyValue) }
        return mean
    }
}
