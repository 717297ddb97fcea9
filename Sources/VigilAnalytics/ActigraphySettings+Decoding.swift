extension ActigraphySettings {
    /// Decodes settings where every key is optional: a client may send only what it changes, the rest keeps
    /// pyActigraphy's defaults. Sadeh needs exactly four weights.
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        binarizationThreshold = try c.decodeIfPresent(Double.self, forKey: .binarizationThreshold) ?? binarizationThreshold
        l5Hours = try c.decodeIfPresent(Double.self, forKey: .l5Hours) ?? l5Hours
        m10Hours = try c.decodeIfPresent(Double.self, forKey: .m10Hours) ?? m10Hours
        coleKripkeThreshold = try c.decodeIfPresent(Double.self, forKey: .coleKripkeThreshold) ?? coleKripkeThreshold
        coleKripkeRescoring = try c.decodeIfPresent(Bool.self, forKey: .coleKripkeRescoring) ?? coleKripkeRescoring
        sadehOffset = try c.decodeIfPresent(Double.self, forKey: .sadehOffset) ?? sadehOffset
        sadehWeights = try c.decodeIfPresent([Double].self, forKey: .sadehWeights) ?? sadehWeights
        guard sadehWeights.count == 4 else {
            throw DecodingError.dataCorruptedError(forKey: .sadehWeights, in: c, debugDescription: "Sadeh takes four weights")
        }
        sadehThreshold = try c.decodeIfPresent(Double.self, forKey: .sadehThreshold) ?? sadehThreshold
        scrippsScale = try c.decodeIfPresent(Double.self, forKey: .scrippsScale) ?? scrippsScale
        scrippsThreshold = try c.decodeIfPresent(Double.self, forKey: .scrippsThreshold) ?? scrippsThreshold
        oakleyThreshold = try c.decodeIfPresent(OakleyThreshold.self, forKey: .oakleyThreshold) ?? oakleyThreshold
        roenneberg = try c.decodeIfPresent(RoennebergSettings.self, forKey: .roenneberg) ?? roenneberg
        krFrac = try c.decodeIfPresent(Double.self, forKey: .krFrac) ?? krFrac
    }
}

extension RoennebergSettings {
    /// Decodes settings where every key is optional; missing keys keep pyActigraphy's defaults.
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trendHours = try c.decodeIfPresent(Double.self, forKey: .trendHours) ?? trendHours
        minTrendHours = try c.decodeIfPresent(Double.self, forKey: .minTrendHours) ?? minTrendHours
        threshold = try c.decodeIfPresent(Double.self, forKey: .threshold) ?? threshold
        minSeedMinutes = try c.decodeIfPresent(Double.self, forKey: .minSeedMinutes) ?? minSeedMinutes
        maxTestHours = try c.decodeIfPresent(Double.self, forKey: .maxTestHours) ?? maxTestHours
        consecutiveBelowMinutes = try c.decodeIfPresent(Double.self, forKey: .consecutiveBelowMinutes) ?? consecutiveBelowMinutes
    }
}
