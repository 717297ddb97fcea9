/// Every tunable parameter of the report, with pyActigraphy 1.2.2's defaults.
/// Codable with snake_case keys so a server can echo it back as "parameters".
public struct ActigraphySettings: Sendable, Equatable, Codable {
    /// Counts strictly above this are "active" when binarizing (default 4).
    public var binarizationThreshold: Double
    /// Window of L5 in hours (default 5).
    public var l5Hours: Double
    /// Window of M10 in hours (default 10).
    public var m10Hours: Double
    /// Cole-Kripke decision threshold, settings 'mean' (default 1.0).
    public var coleKripkeThreshold: Double
    /// Whether Webster's rescoring rules are applied to Cole-Kripke (default true).
    public var coleKripkeRescoring: Bool
    /// Sadeh offset (default 7.601).
    public var sadehOffset: Double
    /// Sadeh weights of (mean, NAT, SD, LOG) (default −0.065, −1.08, −0.056, −0.703).
    public var sadehWeights: [Double]
    /// Sadeh threshold: sleep when the score is above it (default 0).
    public var sadehThreshold: Double
    /// Scripps scale (default 0.204).
    public var scrippsScale: Double
    /// Scripps threshold: sleep when the score is below it (default 1).
    public var scrippsThreshold: Double
    /// Oakley threshold (default 40 counts).
    public var oakleyThreshold: OakleyThreshold
    /// Roenneberg parameters, also used by the sleep regularity index.
    public var roenneberg: RoennebergSettings
    /// LOWESS fraction of kRA / kAR (default 0.3; robustness iterations and delta are fixed at 0).
    public var krFrac: Double

    /// All defaults.
    public init() {
        binarizationThreshold = 4
        l5Hours = 5
        m10Hours = 10
        coleKripkeThreshold = 1.0
        coleKripkeRescoring = true
        sadehOffset = 7.601
        sadehWeights = Actigraphy.sadehDefaultWeights
        sadehThreshold = 0
        scrippsScale = 0.204
        scrippsThreshold = 1.0
        oakleyThreshold = .fixed(40)
        roenneberg = RoennebergSettings()
        krFrac = 0.3
    }

    enum CodingKeys: String, CodingKey {
        case binarizationThreshold = "binarization_threshold"
        case l5Hours = "l5_hours"
        case m10Hours = "m10_hours"
        case coleKripkeThreshold = "cole_kripke_threshold"
        case coleKripkeRescoring = "cole_kripke_rescoring"
        case sadehOffset = "sadeh_offset"
        case sadehWeights = "sadeh_weights"
        case sadehThreshold = "sadeh_threshold"
        case scrippsScale = "scripps_scale"
        case scrippsThreshold = "scripps_threshold"
        case oakleyThreshold = "oakley_threshold"
        case roenneberg
        case krFrac = "kr_frac"
    }
}
