/// L5 or M10: the mean activity per epoch of the least (most) active window, and where it starts.
public struct LMXResult: Sendable, Equatable {
    /// Mean per epoch over the window (a fraction of active epochs when binarized).
    public let value: Double
    /// pyActigraphy's raw offset into the 2-day cyclic profile; it may be ≥ 86400 when the day-2 copy
    /// of a window wins by rounding noise.
    public let startOffsetSeconds: Double

    /// Creates a result.
    public init(value: Double, startOffsetSeconds: Double) {
        self.value = value
        self.startOffsetSeconds = startOffsetSeconds
    }

    /// The start as a time of day: the offset modulo 24 h, in whole seconds.
    public var startSecondOfDay: Int {
        let seconds = Int(startOffsetSeconds.rounded(.down)) % 86_400
        return seconds < 0 ? seconds + 86_400 : seconds
    }
}
