/// The sleep/wake scoring algorithms of the report.
public enum SleepAlgorithm: String, CaseIterable, Sendable, Codable {
    /// Cole-Kripke, settings 'mean', with Webster rescoring by default.
    case coleKripke = "cole_kripke"
    /// Sadeh (1994).
    case sadeh
    /// Scripps Clinic.
    case scripps
    /// Oakley (Actiware), threshold 40 by default.
    case oakley
    /// Roenneberg's rest detection against a 24-h trend; the basis of the SRI.
    case roenneberg
}

/// A 0/1 series on a regular grid: 1 = sleep (rest), 0 = wake, nil = undefined (pyActigraphy NaN).
public struct SleepScoring: Sendable, Equatable {
    /// Local time of `values[0]`, microseconds since 1970-01-01T00:00:00 with no zone.
    /// For Cole-Kripke this is the start of the clock minute holding the first epoch.
    public let firstEpochLocalMicros: Int64
    /// Grid step; 60 s for Cole-Kripke, the recording's epoch otherwise.
    public let epochMicros: Int64
    /// One decision per grid step.
    public let values: [UInt8?]

    /// Creates a scoring series.
    public init(firstEpochLocalMicros: Int64, epochMicros: Int64, values: [UInt8?]) {
        self.firstEpochLocalMicros = firstEpochLocalMicros
        self.epochMicros = epochMicros
        self.values = values
    }

    /// Number of epochs scored as sleep.
    public var sleepEpochs: Int { values.reduce(0) { $0 + ($1 == 1 ? 1 : 0) } }
}
