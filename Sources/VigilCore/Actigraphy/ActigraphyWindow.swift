import VigilAnalytics

/// The stored `activity_count` epochs of one window, laid on a regular grid in local time the way
/// pyActigraphy sees a recording.
///
/// - The grid runs from the first stored epoch to the last; epochs without a sample are missing (NaN).
/// - The epoch length is the most common sample duration (`end − start`), or, when samples have no
///   duration, the most common step between starts. It must be whole seconds dividing 24 h.
/// - Local time is the UTC offset of the first epoch, kept for the whole window: a daylight-saving
///   change inside the window does not shift the grid or the time of day of later epochs (a device
///   recording in local time would repeat or skip an hour instead, which no metric can use).
public struct ActigraphyWindow: Sendable {
    public var recording: ActigraphyRecording
    public var firstEpoch: Timestamp
    public var storedEpochs: Int
    public var missingEpochs: Int { recording.values.count - storedEpochs }

    /// Two years of 1-minute epochs.
    public static let maximumEpochs = 1_051_200
    /// The longest window analysed, in calendar days (two years): a query's `to − from` may not exceed
    /// it, and neither may the span of the stored epochs (with long epochs, `maximumEpochs` alone
    /// would allow millennia, and the actogram draws a row per day).
    public static let maximumDays: Int64 = 731

    public init(recording: ActigraphyRecording, firstEpoch: Timestamp, storedEpochs: Int) {
        self.recording = recording
        self.firstEpoch = firstEpoch
        self.storedEpochs = storedEpochs
    }

    /// The end of the last epoch.
    public var lastEpochEnd: Timestamp {
        Timestamp(
            microseconds: firstEpoch.microseconds + Int64(recording.values.count) * recording.epochMicros,
            offsetSeconds: firstEpoch.offsetSeconds)
    }

    /// Lays points (ordered by start) on the grid.
    public static func assemble(_ points: [SeriesPoint]) throws(VigilError) -> ActigraphyWindow {
        guard points.count >= 2 else {
            throw VigilError(
                .validation, code: "insufficient_data",
                message: "the window holds \(points.count) activity_count epoch\(points.count == 1 ? "" : "s"); at least 2 are needed",
                details: [ErrorDetail(index: nil, field: "activity_count", reason: "minimum: 2 epochs")])
        }
        let epoch = try epochLength(points)
        let first = points[0].start
        let span = points[points.count - 1].start.microseconds - first.microseconds
        guard span <= maximumDays * 86_400_000_000 else {
            throw VigilError(
                .validation, code: "window_too_large",
                message: "the window spans more than \(maximumDays) days; at most \(maximumDays) are analysed at once — narrow from/to")
        }
        let count = Int(span / epoch) + 1
        guard count <= maximumEpochs else {
            throw VigilError(
                .validation, code: "window_too_large",
                message: "the window spans \(count) epochs; at most \(maximumEpochs) are analysed at once — narrow from/to")
        }
        var values = [Double](repeating: .nan, count: count)
        for point in points {
            let offset = point.start.microseconds - first.microseconds
            guard offset % epoch == 0 else {
                throw irregular(
                    "a sample starts at \(point.start.rfc3339), off the \(Double(epoch) / 1e6)-second epoch grid that starts at \(first.rfc3339)"
                )
            }
            let index = Int(offset / epoch)
            guard values[index].isNaN else { throw irregular("two activity_count samples start at \(point.start.rfc3339)") }
            values[index] = point.value
        }
        let local = first.microseconds + Int64(first.offsetSeconds) * 1_000_000
        return ActigraphyWindow(
            recording: ActigraphyRecording(startLocalMicros: local, epochMicros: epoch, values: values),
            firstEpoch: first, storedEpochs: points.count)
    }

    static func epochLength(_ points: [SeriesPoint]) throws(VigilError) -> Int64 {
        var durations = [Int64: Int]()
        for point in points where point.endMicroseconds > point.start.microseconds {
            durations[point.endMicroseconds - point.start.microseconds, default: 0] += 1
        }
        if durations.isEmpty {
            for index in 1..<points.count {
                let step = points[index].start.microseconds - points[index - 1].start.microseconds
                if step > 0 { durations[step, default: 0] += 1 }
            }
        }
        guard let epoch = durations.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) })?.key else {
            throw irregular("every activity_count sample starts at the same time")
        }
        guard epoch % 1_000_000 == 0, 86_400 % (epoch / 1_000_000) == 0 else {
            throw irregular("the epoch length \(Double(epoch) / 1e6) s is not a whole number of seconds dividing 24 h")
        }
        return epoch
    }

    static func irregular(_ message: String) -> VigilError {
        VigilError(.validation, code: "irregular_epochs", message: message)
    }
}
