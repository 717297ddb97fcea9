import SQLKit

/// Which SQL engine a driver talks to; the few statements that differ switch on it.
public enum SQLEngine: String, Sendable {
    case sqlite
    case postgres
}

/// A connection source for the repositories: reads anywhere, writes inside one transaction.
public protocol DatabaseDriver: Sendable {
    var engine: SQLEngine { get }
    /// Runs `body` on a connection outside any explicit transaction.
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` in a write transaction; commits when it returns (durably, before this returns),
    /// rolls back when it throws.
    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Releases connections. Called once, on shutdown.
    func close() async throws
}
