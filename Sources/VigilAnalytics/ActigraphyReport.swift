/// The report a server returns for one window of actigraphy. IS, IV, RA, L5, M10 and ADAT use the
/// binarized defaults (threshold `settings.binarizationThreshold`).
public struct ActigraphyReport: Sendable {
    /// Identifies the implementation, so stored reports can be traced to the arithmetic that made them.
    public static let algorithmVersion = "vigil-actigraphy-1 (pyActigraphy 1.2.2 semantics)"

    /// The parameters used.
    public let settings: ActigraphySettings
    /// IS: variance of the hourly daily profile over the variance of all hourly sums.
    public let interdailyStability: Double
    /// IV: mean squared hour-to-hour change over the variance of the hourly sums.
    public let intradailyVariability: Double
    /// RA = (M10 − L5) / (M10 + L5).
    public let relativeAmplitude: Double
    /// Least active `settings.l5Hours` window of the average day (fraction of active epochs).
    public let l5: LMXResult
    /// Most active `settings.m10Hours` window of the average day (fraction of active epochs).
    public let m10: LMXResult
    /// Average daily activity, active epochs per day.
    public let adat: Double
    /// nil where pyActigraphy gives NaN.
    public let kRA: Double?
    /// nil where pyActigraphy gives NaN.
    public let kAR: Double?
    /// nil where pyActigraphy gives NaN (gaps in the Roenneberg output, e.g. from missing data).
    public let sleepRegularityIndex: Double?
    /// Per-algorithm 0/1 series (1 = sleep). Cole-Kripke lies on the clock-minute grid starting at
    /// `firstEpochLocalMicros` (the minute holding the first epoch); Roenneberg may contain nil.
    public let scoring: [SleepAlgorithm: SleepScoring]
}
