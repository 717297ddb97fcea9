/// Counts refused requests per client address in one-minute windows, so each address gets `limit`
/// individual audit events per minute and the rest of the minute becomes one summary.
///
/// Time is passed in (microseconds). At most `maxAddresses` addresses are tracked per window; further
/// addresses share the entry `*`, so memory stays bounded whatever a flood sends.
public struct RefusalWindow: Sendable {
    /// Refusals beyond the limit that one address made in a window that has ended.
    public struct Summary: Sendable, Equatable {
        public var address: String
        public var suppressed: Int

        public init(address: String, suppressed: Int) {
            self.address = address
            self.suppressed = suppressed
        }
    }

    public let limit: Int
    public let maxAddresses: Int
    /// Individual events per window over all addresses; past it every refusal is only counted (under `*`).
    public let maxIndividual: Int
    private var individual = 0
    public static let length: Int64 = 60_000_000
    private var start: Int64?
    private var counts: [String: Int] = [:]
    private var suppressed: [String: Int] = [:]

    public init(limit: Int, maxAddresses: Int = 10_000, maxIndividual: Int = 1_000) {
        self.limit = limit
        self.maxAddresses = maxAddresses
        self.maxIndividual = maxIndividual
    }

    /// Counts one refusal from `address` at `time`: whether it gets its own event, and the summaries of
    /// the window that ended before it (sorted by address), if one did.
    public mutating func count(address: String, at time: Int64) -> (individual: Bool, ended: [Summary]) {
        var ended: [Summary] = []
        if start.map({ time < $0 || time - $0 >= Self.length }) ?? true {
            ended = endWindow()
            start = time
        }
        var key = address
        if counts[key] == nil && counts.count >= maxAddresses { key = "*" }
        let seen = counts[key, default: 0] + 1
        counts[key] = seen
        guard seen <= limit, individual < maxIndividual else {
            suppressed[individual < maxIndividual ? key : "*", default: 0] += 1
            return (false, ended)
        }
        individual += 1
        return (true, ended)
    }

    /// The summaries of the window if it is over at `time`, or in any case when `force` (at shutdown);
    /// the next refusal then starts a new window. Empty while the window runs.
    public mutating func close(at time: Int64, force: Bool = false) -> [Summary] {
        guard let start, force || time < start || time - start >= Self.length else { return [] }
        self.start = nil
        return endWindow()
    }

    private mutating func endWindow() -> [Summary] {
        let ended = suppressed.map { Summary(address: $0.key, suppressed: $0.value) }.sorted { $0.address < $1.address }
        counts = [:]
        suppressed = [:]
        individual = 0
        return ended
    }

    /// Addresses tracked in the current window.
    public var trackedAddresses: Int { counts.count }
}
