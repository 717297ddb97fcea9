import Foundation
import VigilCore

/// Limits on password logins, all configurable (`VIGIL_LOGIN_*`).
public struct LoginLimits: Sendable, Equatable {
    /// Failed logins of one username allowed before each further failure imposes a wait.
    public var freeFailuresPerAccount = 5
    /// Failed logins from one client address allowed before each further failure imposes a wait.
    public var freeFailuresPerAddress = 20
    /// The first wait, in seconds; each further failure doubles it, up to `maximumDelaySeconds`.
    public var baseDelaySeconds: Int64 = 1
    public var maximumDelaySeconds: Int64 = 900
    /// A username or address with no failure for this long starts afresh.
    public var forgetAfterSeconds: Int64 = 86_400
    /// Usernames and addresses tracked at once (each kind); past it the oldest are forgotten.
    public var maximumTracked = 100_000
    /// Password hashes (bcrypt) computed at once; more wait in a queue of `hashQueueLength`, and past
    /// that a login is refused at once with `503 server_busy`.
    public var hashConcurrency: Int
    public var hashQueueLength: Int

    /// One hash at a time per core, and four per core waiting (about a second of queue at cost 12).
    public init(cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        hashConcurrency = max(1, cores)
        hashQueueLength = 4 * max(1, cores)
    }
}

/// Growing delays after failed logins, per username and per client address (OWASP's "progressive
/// delay": no permanent lockout an attacker could impose on a victim, but at most about a hundred
/// guesses a day per account with the defaults). Kept in memory per node: behind a load balancer each
/// node counts on its own, so a cluster of N nodes allows N times the guesses.
///
/// A username is counted whether or not it exists, so the answers do not reveal which ones do.
public actor LoginThrottle {
    struct Record {
        var failures = 0
        var blockedUntil: Int64 = 0
        var lastFailure: Int64 = 0
    }

    let limits: LoginLimits
    private var accounts: [String: Record] = [:]
    private var addresses: [String: Record] = [:]

    public init(limits: LoginLimits) {
        self.limits = limits
    }

    /// Seconds the caller must wait before another attempt with this username from this address, or
    /// `nil` when it may try now. `now` is in seconds.
    public func retryAfter(username: String, address: String?, now: Int64) -> Int64? {
        let waits = [
            accounts[Self.key(username)].map { $0.blockedUntil - now },
            address.flatMap { addresses[$0] }.map { $0.blockedUntil - now },
        ]
        let wait = waits.compactMap { $0 }.filter { $0 > 0 }.max()
        return wait
    }

    /// Counts a failed attempt.
    public func failed(username: String, address: String?, now: Int64) {
        Self.count(&accounts, Self.key(username), free: limits.freeFailuresPerAccount, now: now, limits: limits)
        if let address { Self.count(&addresses, address, free: limits.freeFailuresPerAddress, now: now, limits: limits) }
    }

    /// A successful login clears its username's failures (not its address's: one right password does
    /// not excuse many wrong ones for other accounts).
    public func succeeded(username: String) {
        accounts[Self.key(username)] = nil
    }

    /// Usernames and addresses currently tracked (for tests).
    public var trackedCount: (accounts: Int, addresses: Int) { (accounts.count, addresses.count) }

    static func key(_ username: String) -> String { String(username.prefix(128)) }

    private static func count(_ table: inout [String: Record], _ key: String, free: Int, now: Int64, limits: LoginLimits) {
        var record = table[key] ?? Record()
        if now - record.lastFailure >= limits.forgetAfterSeconds { record = Record() }
        record.failures += 1
        record.lastFailure = now
        if record.failures > free {
            let doublings = min(record.failures - free - 1, 40)
            let delay = min(limits.baseDelaySeconds << Int64(doublings), limits.maximumDelaySeconds)
            record.blockedUntil = max(record.blockedUntil, now + max(delay, 1))
        }
        table[key] = record
        if table.count > limits.maximumTracked { prune(&table, now: now, limits: limits) }
    }

    /// Forgets expired records, and if that is not enough the older half: amortised O(1) per failure.
    private static func prune(_ table: inout [String: Record], now: Int64, limits: LoginLimits) {
        table = table.filter { now - $0.value.lastFailure < limits.forgetAfterSeconds }
        guard table.count > limits.maximumTracked / 2 else { return }
        let keep = table.sorted { $0.value.lastFailure > $1.value.lastFailure }.prefix(limits.maximumTracked / 2)
        table = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }
}
