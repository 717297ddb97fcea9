/// Parameters of Roenneberg's rest detection, with pyActigraphy's defaults.
public struct RoennebergSettings: Sendable, Equatable, Codable {
    /// Window of the centred rolling-mean trend (default 24 h).
    public var trendHours: Double
    /// Fewest hours of valid data the trend window needs (default 12 h), else the trend is missing.
    public var minTrendHours: Double
    /// An epoch is rest when its count is at most this fraction of the trend (default 0.15).
    public var threshold: Double
    /// Shortest rest run that seeds a bout (default 30 min).
    public var minSeedMinutes: Double
    /// Longest bout tested against a seed (default 12 h).
    public var maxTestHours: Double
    /// Epochs after a correlation peak that must all be lower (default 30 min; pyActigraphy's `r_consec_below`).
    public var consecutiveBelowMinutes: Double

    /// pyActigraphy's defaults.
    public init(
        trendHours: Double = 24, minTrendHours: Double = 12, threshold: Double = 0.15,
        minSeedMinutes: Double = 30, maxTestHours: Double = 12, consecutiveBelowMinutes: Double = 30
    ) {
        self.trendHours = trendHours
        self.minTrendHours = minTrendHours
        self.threshold = threshold
        self.minSeedMinutes = minSeedMinutes
        self.maxTestHours = maxTestHours
        self.consecutiveBelowMinutes = consecutiveBelowMinutes
    }

    enum CodingKeys: String, CodingKey {
        case trendHours = "trend_hours"
        case minTrendHours = "min_trend_hours"
        case threshold
        case minSeedMinutes = "min_seed_minutes"
        case maxTestHours = "max_test_hours"
        case consecutiveBelowMinutes = "consecutive_below_minutes"
    }
}
