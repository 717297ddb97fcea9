/// The average daily profile (`_average_daily_activity`): per time-of-day slot, the Kahan mean of the
/// non-missing epochs in data order, NaN for a slot with none.
struct DailyProfile {
    let values: [Double]

    init(_ values: [Double], slots: DailySlots) {
        var accumulators = [KahanSum](repeating: KahanSum(), count: slots.count)
        values.withUnsafeBufferPointer { v in
            slots.slotOfEpoch.withUnsafeBufferPointer { s in
                for i in 0..<v.count { accumulators[s[i]].add(v[i]) }
            }
        }
        self.values = accumulators.map(\.mean)
    }
}
