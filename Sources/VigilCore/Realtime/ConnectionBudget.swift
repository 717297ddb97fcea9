/// The stream connections a node holds, counted per user and per client address, with a smaller budget for
/// connections that upgraded without an `Authorization` header and have not sent `auth` yet (they cost a
/// socket and a 5 s timer without proving anything, so they are cheap to open in bulk).
///
/// A value type: the stream endpoint keeps one behind a lock. Each accepted upgrade takes a slot (its id is
/// returned) that is given back with ``release(_:)`` when its channel closes, however it closes; every count
/// moves with its slot, so the counts are exact and a dictionary key is dropped when its count reaches zero.
/// A connection without a client address (a Unix socket) is not counted per address.
public struct ConnectionBudget: Sendable {
    /// Why an upgrade or an authentication was refused.
    public enum Refusal: Error, Sendable, Equatable {
        /// The node holds `maxConnectionsPerNode` connections (`503 server_busy`).
        case nodeFull
        /// The client address holds `maxConnectionsPerAddress` connections.
        case addressFull
        /// The user holds `maxConnectionsPerUser` connections.
        case userFull
        /// The node holds `maxUnauthenticatedConnections` connections still waiting for `auth`.
        case unauthenticatedNodeFull
        /// The address holds `maxUnauthenticatedConnectionsPerAddress` connections still waiting for `auth`.
        case unauthenticatedAddressFull

        /// What the client is told (the HTTP refusal's message, or the close frame's reason).
        public var message: String {
            switch self {
            case .nodeFull: "this node holds its maximum of stream connections"
            case .addressFull: "too many stream connections from this address"
            case .userFull: "too many stream connections for this user"
            case .unauthenticatedNodeFull: "too many stream connections waiting for authentication"
            case .unauthenticatedAddressFull: "too many stream connections waiting for authentication from this address"
            }
        }
    }

    private struct Slot: Sendable {
        let address: String?
        var user: String?
    }

    private let limits: RealtimeLimits
    private var slots: [Int: Slot] = [:]
    private var nextSlot = 0
    private var byAddress: [String: Int] = [:]
    private var byUser: [String: Int] = [:]
    private var unauthenticatedByAddress: [String: Int] = [:]
    /// Connections holding a slot but no user yet.
    public private(set) var unauthenticatedCount = 0

    /// An empty budget with the limits from `limits`.
    public init(limits: RealtimeLimits = RealtimeLimits()) {
        self.limits = limits
    }

    /// Connections holding a slot.
    public var count: Int { slots.count }

    /// Connections of `user` holding a slot.
    public func connections(of user: String) -> Int { byUser[user] ?? 0 }

    /// Connections from `address` holding a slot.
    public func connections(from address: String) -> Int { byAddress[address] ?? 0 }

    /// Takes a slot for an upgrade from `address`: counted for `user` when the upgrade request authenticated
    /// it, else in the unauthenticated budget until ``authenticate(_:as:)``. Returns the slot's id.
    public mutating func admit(address: String?, user: String?) throws(Refusal) -> Int {
        guard slots.count < limits.maxConnectionsPerNode else { throw .nodeFull }
        if let address, byAddress[address, default: 0] >= limits.maxConnectionsPerAddress { throw .addressFull }
        if let user {
            guard byUser[user, default: 0] < limits.maxConnectionsPerUser else { throw .userFull }
        } else {
            guard unauthenticatedCount < limits.maxUnauthenticatedConnections else { throw .unauthenticatedNodeFull }
            if let address, unauthenticatedByAddress[address, default: 0] >= limits.maxUnauthenticatedConnectionsPerAddress {
                throw .unauthenticatedAddressFull
            }
        }
        nextSlot += 1
        slots[nextSlot] = Slot(address: address, user: user)
        if let address { byAddress[address, default: 0] += 1 }
        if let user {
            byUser[user, default: 0] += 1
        } else {
            unauthenticatedCount += 1
            if let address { unauthenticatedByAddress[address, default: 0] += 1 }
        }
        return nextSlot
    }

    /// The connection of `slot` authenticated as `user` (its `auth` message): it leaves the unauthenticated
    /// budget and counts for `user`. Refused (`userFull`) when `user` holds their maximum; the slot is then
    /// unchanged until it is released. Authenticating a slot that already has a user, or is unknown, does nothing.
    public mutating func authenticate(_ slot: Int, as user: String) throws(Refusal) {
        guard let held = slots[slot], held.user == nil else { return }
        guard byUser[user, default: 0] < limits.maxConnectionsPerUser else { throw .userFull }
        slots[slot]?.user = user
        byUser[user, default: 0] += 1
        leaveUnauthenticated(held.address)
    }

    /// Gives a slot back (the channel closed). Unknown or already released slots are ignored.
    public mutating func release(_ slot: Int) {
        guard let held = slots.removeValue(forKey: slot) else { return }
        if let address = held.address { Self.decrement(&byAddress, address) }
        if let user = held.user {
            Self.decrement(&byUser, user)
        } else {
            leaveUnauthenticated(held.address)
        }
    }

    private mutating func leaveUnauthenticated(_ address: String?) {
        unauthenticatedCount -= 1
        if let address { Self.decrement(&unauthenticatedByAddress, address) }
    }

    private static func decrement(_ counts: inout [String: Int], _ key: String) {
        guard let count = counts[key] else { return }
        counts[key] = count > 1 ? count - 1 : nil
    }
}
