import Testing
import VigilCore

@Suite("Connection budget")
struct ConnectionBudgetTests {
    private static func budget(_ adjust: (inout RealtimeLimits) -> Void) -> ConnectionBudget {
        var limits = RealtimeLimits()
        adjust(&limits)
        return ConnectionBudget(limits: limits)
    }

    @Test("per user and per address: refused at the limit, room again once a slot is released")
    func perUserAndAddress() throws {
        var budget = Self.budget {
            $0.maxConnectionsPerUser = 2
            $0.maxConnectionsPerAddress = 3
        }
        let first = try budget.admit(address: "10.0.0.1", user: "alice")
        _ = try budget.admit(address: "10.0.0.2", user: "alice")
        #expect(throws: ConnectionBudget.Refusal.userFull) { try budget.admit(address: "10.0.0.3", user: "alice") }
        _ = try budget.admit(address: "10.0.0.1", user: "bob")
        _ = try budget.admit(address: "10.0.0.1", user: "carol")
        #expect(throws: ConnectionBudget.Refusal.addressFull) { try budget.admit(address: "10.0.0.1", user: "dave") }
        budget.release(first)
        budget.release(first)  // twice: ignored
        #expect(budget.connections(of: "alice") == 1)
        #expect(budget.connections(from: "10.0.0.1") == 2)
        _ = try budget.admit(address: "10.0.0.1", user: "alice")
        #expect(budget.count == 4)
    }

    @Test("connections waiting for auth have their own budget, left when they authenticate")
    func unauthenticated() throws {
        var budget = Self.budget {
            $0.maxUnauthenticatedConnections = 3
            $0.maxUnauthenticatedConnectionsPerAddress = 2
            $0.maxConnectionsPerUser = 1
        }
        let a = try budget.admit(address: "10.0.0.1", user: nil)
        let b = try budget.admit(address: "10.0.0.1", user: nil)
        #expect(throws: ConnectionBudget.Refusal.unauthenticatedAddressFull) { try budget.admit(address: "10.0.0.1", user: nil) }
        // An authenticated upgrade from the same address is not in that budget.
        _ = try budget.admit(address: "10.0.0.1", user: "bob")
        let c = try budget.admit(address: "10.0.0.2", user: nil)
        #expect(throws: ConnectionBudget.Refusal.unauthenticatedNodeFull) { try budget.admit(address: "10.0.0.3", user: nil) }
        try budget.authenticate(a, as: "alice")
        #expect(budget.unauthenticatedCount == 2)
        // Alice holds her one connection: a second socket authenticating as her is refused and stays unauthenticated.
        #expect(throws: ConnectionBudget.Refusal.userFull) { try budget.authenticate(b, as: "alice") }
        #expect(budget.unauthenticatedCount == 2)
        budget.release(b)
        budget.release(c)
        budget.release(a)
        #expect(budget.unauthenticatedCount == 0)
        #expect(budget.connections(of: "alice") == 0)
        #expect(budget.connections(from: "10.0.0.1") == 1)
    }

    @Test("the node cap comes first; a connection without an address is not counted per address")
    func nodeCap() throws {
        var budget = Self.budget {
            $0.maxConnectionsPerNode = 2
            $0.maxConnectionsPerAddress = 1
        }
        _ = try budget.admit(address: nil, user: "alice")
        _ = try budget.admit(address: nil, user: nil)
        #expect(throws: ConnectionBudget.Refusal.nodeFull) { try budget.admit(address: "10.0.0.1", user: "bob") }
    }
}
