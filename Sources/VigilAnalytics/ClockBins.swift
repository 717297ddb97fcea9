/// Sums over bins aligned to the clock (pandas `resample(width)` with its midnight origin), from the bin
/// holding the first epoch to the bin holding the last. An all-missing bin sums to 0.
struct ClockBins {
    /// Local time of the first bin.
    let firstBinMicros: Int64
    let widthMicros: Int64
    var sums: [Double]

    init(_ recording: ActigraphyRecording, widthMicros: Int64) {
        self.widthMicros = widthMicros
        let firstIndex = LocalTime.floorDiv(recording.startLocalMicros, widthMicros)
        firstBinMicros = firstIndex * widthMicros
        let n = recording.values.count
        guard n > 0 else {
            sums = []
            return
        }
        let lastIndex = LocalTime.floorDiv(recording.localMicros(ofEpoch: n - 1), widthMicros)
        var accumulators = [KahanSum](repeating: KahanSum(), count: Int(lastIndex - firstIndex) + 1)
        for i in 0..<n {
            let bin = Int(LocalTime.floorDiv(recording.localMicros(ofEpoch: i), widthMicros) - firstIndex)
            accumulators[bin].add(recording.values[i])
        }
        sums = accumulators.map(\.sum)
    }

    /// The maximum bin per clock minute (pandas `resample('60s').max()` of these bins).
    func maxPerMinute() -> ClockBins {
        let minute: Int64 = 60_000_000
        let firstMinute = LocalTime.floorDiv(firstBinMicros, minute)
        var maxima: [Double] = []
        for (k, s) in sums.enumerated() {
            let m = Int(LocalTime.floorDiv(firstBinMicros + Int64(k) * widthMicros, minute) - firstMinute)
            while maxima.count <= m { maxima.append(-.infinity) }
            maxima[m] = max(maxima[m], s)
        }
        return ClockBins(firstBinMicros: firstMinute * minute, widthMicros: minute, sums: maxima)
    }

    private init(firstBinMicros: Int64, widthMicros: Int64, sums: [Double]) {
        self.firstBinMicros = firstBinMicros
        self.widthMicros = widthMicros
        self.sums = sums
    }
}
