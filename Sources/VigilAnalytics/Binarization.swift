extension ActigraphyRecording {
    /// 1 where the count is strictly above `threshold`, 0 where it is at most `threshold`, NaN stays NaN.
    public func binarized(threshold: Double) -> ActigraphyRecording {
        replacingValues(values.map { $0.isNaN ? .nan : ($0 > threshold ? 1 : 0) })
    }

    /// The binarized recording when `binarize` is set, this one otherwise.
    func prepared(binarize: Bool, threshold: Double) -> ActigraphyRecording {
        binarize ? binarized(threshold: threshold) : self
    }
}
