extension Int {
    /// `Int(value)` that cannot trap: truncates toward zero like `Int(_:)`, NaN becomes 0, and values
    /// beyond ±2⁶² are clamped (so a later `+ 1` or `* 2` of the result cannot overflow either).
    /// Settings are range-checked before they reach an algorithm; this keeps the algorithms safe for
    /// any caller of the library.
    init(saturating value: Double) {
        let limit = Double(1 << 62)
        guard !value.isNaN else {
            self = 0
            return
        }
        self = Int(Swift.min(Swift.max(value, -limit), limit).rounded(.towardZero))
    }
}
