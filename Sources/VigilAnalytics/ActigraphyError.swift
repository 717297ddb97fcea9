/// Why one metric or scoring algorithm could not be computed.
public enum ActigraphyError: Error, Sendable, Equatable {
    /// Too little data for a metric. `metric` names it (e.g. "l5") and `minimum` says, in words a
    /// user understands, what the metric needs (e.g. "24 h of epochs covering every time of day").
    case insufficientData(metric: String, minimum: String)
    /// The algorithm is not defined for this epoch length (Oakley for 45 s, Cole-Kripke 'mean' above 60 s).
    case unsupportedEpoch(algorithm: String, epochSeconds: Double)
    /// Roenneberg found no rest seed or no rest bout.
    case noRestPeriod(algorithm: String)
    /// The metric divides by the variation of activity and the activity never varies (for example an
    /// all-zero or all-missing window); pyActigraphy returns NaN (0/0) here.
    case noActivityVariation(metric: String)
    /// The task computing the report was cancelled (a job's timeout): the rest was not computed.
    case cancelled
}

/// Every metric or algorithm of a report that could not be computed.
public struct ActigraphyReportError: Error, Sendable {
    /// The problems, in report order; never empty.
    public let problems: [ActigraphyError]

    /// Creates the error from a non-empty list of problems.
    public init(problems: [ActigraphyError]) {
        self.problems = problems
    }
}
