/// Hourly sums anchored at the first timestamp (pandas `resample('1H', origin='start')`), used by IS and IV.
struct HourlyBins {
    /// H_k, the Kahan sum of bin k; an all-missing bin gives 0, so gaps count as zero activity.
    let sums: [Double]
    /// Second of day of each bin's label t0 + k·1h.
    let labelSecondOfDay: [Int64]

    static let hourMicros: Int64 = 3_600_000_000

    init(_ recording: ActigraphyRecording) {
        let n = recording.values.count
        guard n > 0 else {
            sums = []
            labelSecondOfDay = []
            return
        }
        // pyActigraphy uses hourly or coarser data as it is, missing values included.
        if recording.epochMicros >= Self.hourMicros {
            sums = recording.values
            labelSecondOfDay = (0..<n).map { LocalTime.secondOfDay(recording.localMicros(ofEpoch: $0)) }
            return
        }
        let binCount = Int((Int64(n - 1) * recording.epochMicros) / Self.hourMicros) + 1
        var accumulators = [KahanSum](repeating: KahanSum(), count: binCount)
        recording.values.withUnsafeBufferPointer { values in
            // Walk the bin boundaries instead of dividing per epoch.
            var bin = 0
            var binEnd = Self.hourMicros
            var offset: Int64 = 0
            for i in 0..<n {
                while offset >= binEnd {
                    bin += 1
                    binEnd += Self.hourMicros
                }
                accumulators[bin].add(values[i])
                offset += recording.epochMicros
            }
        }
        sums = accumulators.map(\.sum)
        labelSecondOfDay = (0..<binCount).map {
            LocalTime.secondOfDay(recording.startLocalMicros + Int64($0) * Self.hourMicros)
        }
    }

    /// Ĥ_g: mean of the bins sharing a label time of day, groups sorted by time of day.
    var dailyProfile: [Double] {
        var groups: [Int64: KahanSum] = [:]
        for (k, key) in labelSecondOfDay.enumerated() {
            groups[key, default: KahanSum()].add(sums[k])
        }
        return groups.keys.sorted().map { groups[$0]!.mean }
    }
}
