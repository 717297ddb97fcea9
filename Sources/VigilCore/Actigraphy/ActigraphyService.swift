import VigilAnalytics

/// Actigraphy reports and actograms computed from a subject's stored `activity_count` samples. Access
/// and auditing are those of every health-data read: ``AccessControl`` first, an `analysis.read`
/// event (with the number of epochs used) before anything is returned.
public struct ActigraphyService<Repository: SampleRepository>: Sendable {
    public let repository: Repository
    public let access: AccessControl
    /// Reports are CPU-bound (about a second for two years of minutes): this bounds how many run at
    /// once, so a burst of them cannot take every core from other requests (`503 server_busy` past it).
    public let computing: AdmissionGate
    static var resourceType: String { "Observation" }

    public init(repository: Repository, access: AccessControl, computing: AdmissionGate = AdmissionGate(limit: 1, queueLength: 8)) {
        self.repository = repository
        self.access = access
        self.computing = computing
    }

    /// Computes what `compute` makes of the window's epochs; the read is audited whatever the outcome.
    public func analyse<Result: Sendable>(
        _ window: ActigraphyQuery, by request: AccessRequest, _ compute: @Sendable (ActigraphyWindow) throws -> Result
    ) async throws -> Result {
        try await access.authorize(request, .readSamples, subject: window.subject, auditAs: .analysisRead, resourceType: Self.resourceType)
        do {
            let points = try await repository.series(
                subject: window.subject, type: .activityCount, from: window.from?.microseconds, to: window.to?.microseconds,
                limit: ActigraphyWindow.maximumEpochs + 1)
            let epochs = try ActigraphyWindow.assemble(points)
            let result = try await computing.run { try compute(epochs) }
            try await access.audit.record(event(window, request, count: epochs.storedEpochs, .success))
            return result
        } catch {
            try await access.audit.record(event(window, request, count: 0, .error))
            throw error
        }
    }

    /// The full report with the given settings.
    public func report(
        _ window: ActigraphyQuery, settings: ActigraphySettings, by request: AccessRequest
    ) async throws -> (
        ActigraphyWindow, ActigraphyReport
    ) {
        try await analyse(window, by: request) { epochs in (epochs, try ActigraphyAnalysis.report(epochs.recording, settings: settings)) }
    }

    func event(_ window: ActigraphyQuery, _ request: AccessRequest, count: Int, _ outcome: AuditEvent.Outcome) -> AuditEvent {
        request.event(
            .analysisRead, resourceType: Self.resourceType, subject: window.subject.value, count: count, outcome: outcome,
            at: access.nowMicroseconds)
    }
}

/// `from` inclusive, `to` exclusive, both compared with sample starts (microseconds, UTC).
public struct ActigraphyQuery: Sendable, Equatable {
    public var subject: SubjectID
    public var from: Timestamp?
    public var to: Timestamp?

    public init(subject: SubjectID, from: Timestamp?, to: Timestamp?) {
        self.subject = subject
        self.from = from
        self.to = to
    }
}

/// The analytics behind the service, with "too little data" turned into the API's `422 insufficient_data`.
public enum ActigraphyAnalysis {
    /// Runs the analytics and turns "too little data" into the API's `422 insufficient_data`.
    public static func report(_ recording: ActigraphyRecording, settings: ActigraphySettings) throws(VigilError) -> ActigraphyReport {
        do {
            return try Actigraphy.report(recording, settings: settings)
        } catch {
            throw unprocessable(error.problems)
        }
    }

    static func unprocessable(_ problems: [ActigraphyError]) -> VigilError {
        let details = problems.map { problem -> ErrorDetail in
            switch problem {
            case .insufficientData(let metric, let minimum):
                ErrorDetail(index: nil, field: metric, reason: "too little data; minimum: \(minimum)")
            case .unsupportedEpoch(let algorithm, let seconds):
                ErrorDetail(index: nil, field: algorithm, reason: "not defined for \(JSONValue.format(seconds))-second epochs")
            case .noRestPeriod(let algorithm):
                ErrorDetail(index: nil, field: algorithm, reason: "found no rest period in the window")
            case .noActivityVariation(let metric):
                ErrorDetail(index: nil, field: metric, reason: "activity never varies in the window")
            case .cancelled:
                ErrorDetail(index: nil, field: "report", reason: "the computation was cancelled")
            }
        }
        let names = details.map(\.field).joined(separator: ", ")
        return VigilError(
            .validation, code: "insufficient_data", message: "the window holds too little data for: \(names)", details: details)
    }

    /// One algorithm's sleep/wake series, for the actogram; `nil` when it cannot score this window.
    public static func sleepScoring(
        _ recording: ActigraphyRecording, _ algorithm: SleepAlgorithm, settings: ActigraphySettings
    ) -> SleepScoring? {
        do {
            switch algorithm {
            case .coleKripke:
                return try Actigraphy.coleKripke(
                    recording, threshold: settings.coleKripkeThreshold, rescoring: settings.coleKripkeRescoring)
            case .sadeh:
                return Actigraphy.sadeh(
                    recording, offset: settings.sadehOffset, weights: settings.sadehWeights, threshold: settings.sadehThreshold)
            case .scripps: return Actigraphy.scripps(recording, scale: settings.scrippsScale, threshold: settings.scrippsThreshold)
            case .oakley: return try Actigraphy.oakley(recording, threshold: settings.oakleyThreshold)
            case .roenneberg: return try Actigraphy.roenneberg(recording, settings: settings.roenneberg)
            }
        } catch {
            // The actogram still shows the activity; it just has no shading for this algorithm.
            return nil
        }
    }
}
