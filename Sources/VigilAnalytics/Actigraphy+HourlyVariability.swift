extension Actigraphy {
    /// Interdaily stability, `raw.IS(freq='1H', binarize:, threshold:)`: var(hourly profile) / var(hourly
    /// sums), both ddof 1, hourly bins anchored at the first epoch.
    ///
    /// - Throws: `insufficientData` with fewer than two hourly bins; `noActivityVariation` when every
    ///   hourly sum is equal (e.g. all-zero or all-missing data), where pyActigraphy returns NaN (0/0).
    public static func interdailyStability(
        _ recording: ActigraphyRecording, binarize: Bool = true, threshold: Double = 4
    ) throws(ActigraphyError) -> Double {
        let bins = try hourlyBins(recording, binarize: binarize, threshold: threshold, metric: "is")
        let total = NumpySum.nanVariance(bins.sums)
        guard total > 0 else { throw .noActivityVariation(metric: "is") }
        return NumpySum.nanVariance(bins.dailyProfile) / total
    }

    /// Intradaily variability, `raw.IV(freq='1H', binarize:, threshold:)`: mean squared first difference
    /// of the hourly sums divided by their variance (ddof 1).
    ///
    /// - Throws: as `interdailyStability`.
    public static func intradailyVariability(
        _ recording: ActigraphyRecording, binarize: Bool = true, threshold: Double = 4
    ) throws(ActigraphyError) -> Double {
        let bins = try hourlyBins(recording, binarize: binarize, threshold: threshold, metric: "iv")
        let total = NumpySum.nanVariance(bins.sums)
        guard total > 0 else { throw .noActivityVariation(metric: "iv") }
        // pandas' diff() leaves a leading NaN; nanmean sums it as 0 over the full length.
        var squares = [Double](repeating: .nan, count: bins.sums.count)
        for k in 1..<bins.sums.count {
            let d = bins.sums[k] - bins.sums[k - 1]
            squares[k] = d * d
        }
        return NumpySum.nanMean(squares) / total
    }

    private static func hourlyBins(
        _ recording: ActigraphyRecording, binarize: Bool, threshold: Double, metric: String
    ) throws(ActigraphyError) -> HourlyBins {
        let bins = HourlyBins(recording.prepared(binarize: binarize, threshold: threshold))
        guard bins.sums.count >= 2 else {
            throw .insufficientData(metric: metric, minimum: "epochs spanning at least two clock hours")
        }
        return bins
    }
}
