/// Turns a raw week of minute-level activity into the model's float32 input.
public enum PATInput {
    /// Standardizes 10080 minute values (minute 0 = 00:00 of day 0) as `standardization` says.
    ///
    /// - Throws: `invalidInputLength` unless there are exactly 10080 values, `nonFiniteInput` for NaN or ±∞,
    ///   `invalidCohortStatistics` when cohort vectors have the wrong length, are non-finite or have a negative std.
    public static func standardize(
        _ raw: [Double], _ standardization: PATStandardization
    ) throws(PATModelError) -> [Float] {
        let count = PATModel.inputLength
        guard raw.count == count else { throw .invalidInputLength(expected: count, actual: raw.count) }
        if let bad = raw.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteInput(index: bad) }

        switch standardization {
        case .none:
            return raw.map { Float($0) }
        case .zscore:
            let mean = raw.reduce(0, +) / Double(count)
            let variance = raw.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count)
            let std = variance.squareRoot()
            return std > 0 ? raw.map { Float(($0 - mean) / std) } : raw.map { Float($0 - mean) }
        case .cohort(let mean, let std):
            try PATCohortStatistics.validate(mean: mean, std: std)
            return (0..<count).map { i in
                Float((raw[i] - mean[i]) / (std[i] > 0 ? std[i] : 1))
            }
        }
    }
}
