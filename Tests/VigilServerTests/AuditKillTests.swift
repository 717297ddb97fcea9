import Foundation
import Synchronization
import Testing
import VigilCore
import VigilStorage

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real server process, killed with SIGKILL while clients read: every response a client received
/// must have its audit event in the database afterwards.
@Suite("Audit durability under SIGKILL")
struct AuditKillTests {
    @Test("every response received before a SIGKILL has its audit event after restart", arguments: Backend.all)
    func killUnderLoad(backend: Backend) async throws {
        try await ScratchDatabase.with(backend) { url in
            let port = Int.random(in: 20_000...40_000)
            let environment = [
                "VIGIL_DATABASE_URL": url, "VIGIL_PORT": String(port), "VIGIL_BCRYPT_COST": "4", "VIGIL_ENV": "test",
                "VIGIL_JWT_SECRET": "kill-test-secret-kill-test-secret-0123", "VIGIL_LOG_LEVEL": "error",
            ]
            let added = try await VigilBinary.run(
                ["users", "add", "--username", "kill-patient", "--role", "patient"], environment: environment, input: "kill test password\n"
            )
            #expect(added.status == 0)
            let server = try VigilBinary.start(["serve"], environment: environment)
            defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
            let base = "http://127.0.0.1:\(port)"
            let token = try await HTTP.login(base, "kill-patient", "kill test password")

            let received = ReceivedIDs()
            let deadline = Date().addingTimeInterval(1.5)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var n = 0
                        while Date() < deadline {
                            let id = "kill-\(worker)-\(n)"
                            n += 1
                            if (try? await HTTP.get("\(base)/v1/subjects/kill-patient/samples", token: token, requestID: id)) == 200 {
                                received.add(id)
                            }
                        }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(700))
                    kill(server.processIdentifier, SIGKILL)
                }
                try await group.waitForAll()
            }
            await Blocking.wait(server)
            let ids = received.all
            #expect(ids.count > 10, "too few responses before the kill to say anything: \(ids.count)")

            // Restart on the same database: the chain is intact and every received response is in it.
            let store = try await VigilStore.open(url: url, logger: .init(label: "kill"))
            let missing = try await store.withRunning {
                var missing = [String]()
                for id in ids {
                    var query = AuditQuery(organization: "default", limit: 10)
                    query.requestID = id
                    let events = try await store.audit.events(query)
                    if !events.contains(where: { $0.event.action == .sampleRead && $0.event.outcome == .success }) { missing.append(id) }
                }
                return missing
            }
            #expect(missing.isEmpty, "responses without an audit event: \(missing.prefix(10))")
            print(
                "[vigil-tests] SIGKILL test on \(backend.rawValue): \(ids.count) responses received before the kill, \(ids.count - missing.count) audited"
            )
            let verify = try await VigilBinary.run(["audit", "verify", "--database", url], environment: environment)
            if verify.status != 0 {
                // Read-only: run again for what it wrote to stderr.
                let errors = try await VigilBinary.run(
                    ["audit", "verify", "--database", url], environment: environment, captureErrors: true)
                Issue.record("vigil audit verify exited \(verify.status): \(verify.output) \(errors.output)")
            }
        }
    }
}

final class ReceivedIDs: Sendable {
    private let ids = Mutex<[String]>([])
    func add(_ id: String) { ids.withLock { $0.append(id) } }
    var all: [String] { ids.withLock { $0 } }
}

/// A minimal HTTP client for tests against a real server process.
enum HTTP {
    static func login(_ base: String, _ username: String, _ password: String) async throws -> String {
        var request = URLRequest(url: URL(string: "\(base)/v1/auth/token")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"username":"\#(username)","password":"\#(password)"}"#.utf8)
        for _ in 0..<300 {  // 30 s: a debug server on a loaded machine can take a while to migrate and listen
            if let (data, response) = try? await URLSession.shared.data(for: request), (response as? HTTPURLResponse)?.statusCode == 200 {
                let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
                return try #require(object?["access_token"] as? String)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw VigilError(.unavailable, code: "unavailable", message: "server did not come up")
    }

    static func get(_ url: String, token: String, requestID: String) async throws -> Int {
        var request = URLRequest(url: URL(string: url)!)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue(requestID, forHTTPHeaderField: "X-Request-ID")
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }
}
