/// How a raw week of minute-level activity is scaled before it is fed to the encoder.
///
/// PAT was trained on inputs standardized per minute-of-week column with its training cohort's scaler,
/// whose parameters were never published; pick the option that matches how the downstream head was fit.
public enum PATStandardization: Sendable, Equatable {
    /// Values are already standardized; they are only converted to Float.
    case none
    /// Per-recording z-score: population mean and std of the 10080 values, computed in Double.
    /// A constant week (std 0) becomes `x − mean`, i.e. all zeros.
    case zscore
    /// Per-minute-of-week cohort scaler: `(x[i] − mean[i]) / std[i]`, 10080 entries each.
    /// A minute with std 0 is divided by 1 (like sklearn's StandardScaler), so it becomes `x − mean`.
    case cohort(mean: [Double], std: [Double])
}
