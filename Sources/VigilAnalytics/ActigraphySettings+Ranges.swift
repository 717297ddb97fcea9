/// The valid range of every actigraphy setting. A client value outside it is refused before any
/// algorithm sees it: the algorithms turn hours and minutes into epoch counts and windows, so a value
/// like 1e300 hours must never reach them.
///
/// The ranges are the meaningful ones, not "any finite number": hours and minutes within what a
/// two-year recording holds, L5/M10 within a day, count thresholds within what a count can be
/// (`activity_count` is 0…1,000,000), fractions in (0, 1], and coefficients within ±10⁶. Roenneberg's
/// rest bouts are tested over at most 48 h (pyActigraphy's default is 12 h), seeds and runs within a day.
public struct SettingRange: Sendable, Equatable {
    /// The setting's name as the response's `parameters` object and the query string spell it
    /// (`roenneberg.trend_hours`).
    public let name: String
    public let lower: Double
    /// Whether `lower` itself is allowed.
    public let lowerInclusive: Bool
    public let upper: Double

    public init(_ name: String, _ lower: Double, lowerInclusive: Bool = true, _ upper: Double) {
        self.name = name
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
    }

    public func contains(_ value: Double) -> Bool {
        guard value.isFinite, value <= upper else { return false }
        return lowerInclusive ? value >= lower : value > lower
    }

    /// `"must be within 0...24"` or `"must be within (0, 24]"`.
    public var reason: String {
        let low = Self.format(lower)
        let high = Self.format(upper)
        return lowerInclusive ? "must be within \(low)...\(high)" : "must be greater than \(low) and at most \(high)"
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

extension ActigraphySettings {
    /// Hours a two-year window holds (the most an analysis reads, see `maximumRecordingDays`).
    public static let maximumHours = 17_520.0
    /// Largest count threshold: the largest valid `activity_count`.
    public static let maximumCount = 1_000_000.0
    /// Largest magnitude of a score coefficient (Sadeh, Scripps).
    public static let maximumCoefficient = 1_000_000.0

    /// Every numeric setting with its range, in the order the documentation lists them.
    public static let ranges: [SettingRange] = [
        SettingRange("binarization_threshold", 0, maximumCount),
        SettingRange("l5_hours", 0, lowerInclusive: false, 24),
        SettingRange("m10_hours", 0, lowerInclusive: false, 24),
        SettingRange("cole_kripke_threshold", 0, maximumCount),
        SettingRange("sadeh_offset", -maximumCoefficient, maximumCoefficient),
        SettingRange("sadeh_weights", -maximumCoefficient, maximumCoefficient),
        SettingRange("sadeh_threshold", -maximumCoefficient, maximumCoefficient),
        SettingRange("scripps_scale", -maximumCoefficient, maximumCoefficient),
        SettingRange("scripps_threshold", -maximumCoefficient, maximumCoefficient),
        SettingRange("oakley_threshold", 0, maximumCount),
        SettingRange("kr_frac", 0, lowerInclusive: false, 1),
        SettingRange("roenneberg.trend_hours", 0, lowerInclusive: false, maximumHours),
        SettingRange("roenneberg.min_trend_hours", 0, maximumHours),
        SettingRange("roenneberg.threshold", 0, lowerInclusive: false, 1),
        SettingRange("roenneberg.min_seed_minutes", 0, lowerInclusive: false, 1_440),
        // Each rest seed is tested over this window: its bound bounds the detection's cost.
        SettingRange("roenneberg.max_test_hours", 0, lowerInclusive: false, 48),
        SettingRange("roenneberg.consecutive_below_minutes", 0, 1_440),
    ]

    /// The settings outside their range, as (setting name, reason); empty when all are valid.
    public var rangeProblems: [(name: String, reason: String)] {
        var values: [String: [Double]] = [
            "binarization_threshold": [binarizationThreshold],
            "l5_hours": [l5Hours],
            "m10_hours": [m10Hours],
            "cole_kripke_threshold": [coleKripkeThreshold],
            "sadeh_offset": [sadehOffset],
            "sadeh_weights": sadehWeights,
            "sadeh_threshold": [sadehThreshold],
            "scripps_scale": [scrippsScale],
            "scripps_threshold": [scrippsThreshold],
            "kr_frac": [krFrac],
            "roenneberg.trend_hours": [roenneberg.trendHours],
            "roenneberg.min_trend_hours": [roenneberg.minTrendHours],
            "roenneberg.threshold": [roenneberg.threshold],
            "roenneberg.min_seed_minutes": [roenneberg.minSeedMinutes],
            "roenneberg.max_test_hours": [roenneberg.maxTestHours],
            "roenneberg.consecutive_below_minutes": [roenneberg.consecutiveBelowMinutes],
        ]
        if case .fixed(let value) = oakleyThreshold { values["oakley_threshold"] = [value] }
        var problems: [(name: String, reason: String)] = []
        for range in Self.ranges {
            guard let checked = values[range.name] else { continue }
            if checked.contains(where: { !range.contains($0) }) { problems.append((range.name, range.reason)) }
        }
        if sadehWeights.count != 4 { problems.append(("sadeh_weights", "must be four numbers")) }
        return problems
    }
}
