/// Maps each epoch to its rank among the recording's distinct times of day (h, m, s), as pandas'
/// groupby on time of day does. L5, M10 and the SRI need exactly 86400 s / Δ such slots.
struct DailySlots {
    /// Slots per day, P = 86400 s / Δ.
    let count: Int
    /// Slot of every epoch.
    let slotOfEpoch: [Int]

    /// Returns nil when the recording does not hold every time of day exactly as pyActigraphy requires
    /// (shorter than 24 h, or an epoch that does not divide the day).
    init?(_ recording: ActigraphyRecording) {
        let epoch = recording.epochMicros
        let n = recording.values.count
        guard LocalTime.microsPerDay % epoch == 0 else { return nil }
        let perDay = Int(LocalTime.microsPerDay / epoch)
        guard n >= perDay else { return nil }
        if epoch % LocalTime.microsPerSecond == 0 {
            // Whole-second epochs: times of day step by Δ, so the rank advances by one per epoch.
            let step = epoch / LocalTime.microsPerSecond
            let first = Int(LocalTime.secondOfDay(recording.startLocalMicros) / step)
            var slots = [Int](repeating: 0, count: n)
            var slot = first
            for i in 0..<n {
                slots[i] = slot
                slot += 1
                if slot == perDay { slot = 0 }
            }
            count = perDay
            slotOfEpoch = slots
            return
        }
        // Sub-second or fractional epochs: group by whole-second time of day like pandas.
        let seconds = (0..<n).map { LocalTime.secondOfDay(recording.localMicros(ofEpoch: $0)) }
        let distinct = Array(Set(seconds)).sorted()
        guard distinct.count == perDay else { return nil }
        var rank: [Int64: Int] = [:]
        for (i, s) in distinct.enumerated() { rank[s] = i }
        count = perDay
        slotOfEpoch = seconds.map { rank[$0]! }
    }
}
