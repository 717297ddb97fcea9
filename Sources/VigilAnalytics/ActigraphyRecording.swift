/// A regular grid of epochs in local wall-clock time. `values[i]` is the count at
/// `start + i·epoch`; NaN marks a missing epoch (rows are never missing, a gap is a run of NaN).
public struct ActigraphyRecording: Sendable {
    /// Local wall-clock time of the first epoch, as microseconds since 1970-01-01T00:00:00
    /// with no zone (UTC arithmetic on the local fields).
    public let startLocalMicros: Int64
    /// Epoch length in microseconds, e.g. 60_000_000 or 30_000_000.
    public let epochMicros: Int64
    /// Activity per epoch; NaN = missing.
    public let values: [Double]

    /// Creates a recording. `epochMicros` must be positive.
    public init(startLocalMicros: Int64, epochMicros: Int64, values: [Double]) {
        precondition(epochMicros > 0, "epoch length must be positive")
        self.startLocalMicros = startLocalMicros
        self.epochMicros = epochMicros
        self.values = values
    }

    /// Epoch length in seconds.
    public var epochSeconds: Double { Double(epochMicros) / 1_000_000 }

    /// Local time of epoch `index`.
    public func localMicros(ofEpoch index: Int) -> Int64 {
        startLocalMicros + Int64(index) * epochMicros
    }

    /// A recording with the same grid and different values (e.g. binarized).
    func replacingValues(_ newValues: [Double]) -> ActigraphyRecording {
        ActigraphyRecording(startLocalMicros: startLocalMicros, epochMicros: epochMicros, values: newValues)
    }
}

/// Calendar arithmetic on zone-less local microseconds.
enum LocalTime {
    static let microsPerSecond: Int64 = 1_000_000
    static let microsPerDay: Int64 = 86_400_000_000

    /// Floor division, so that times before 1970 land in the right day or second.
    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Whole seconds since local midnight; sub-second parts are ignored, as pandas does when
    /// grouping by (hour, minute, second).
    @inline(__always)
    static func secondOfDay(_ micros: Int64) -> Int64 {
        let seconds = floorDiv(micros, microsPerSecond)
        let r = seconds % 86_400
        return r < 0 ? r + 86_400 : r
    }

    /// Days since 1970-01-01 of the local date.
    @inline(__always)
    static func dayNumber(_ micros: Int64) -> Int64 { floorDiv(micros, microsPerDay) }
}
