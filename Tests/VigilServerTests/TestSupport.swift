import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import VigilCore
import VigilServer
import VigilStorage

/// The databases the HTTP tests run on: SQLite always, PostgreSQL when `VIGIL_TEST_POSTGRES_URL` is set.
enum Backend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres

    static let postgresURL = ProcessInfo.processInfo.environment["VIGIL_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    static var all: [Backend] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    var testDescription: String { rawValue }
}

let testSigningKey = Array("vigil-test-signing-key-not-a-secret-0123456789".utf8)

/// A running app on a fresh database (SQLite: a new file; PostgreSQL: the shared test database, with
/// unique usernames per test so tests do not see each other's rows).
struct TestApp {
    let client: any TestClientProtocol
    let store: VigilStore
    let backend: Backend

    static func run<T: Sendable>(
        _ backend: Backend,
        url explicitURL: String? = nil,
        configure: (inout VigilConfig) -> Void = { _ in },
        now: @escaping @Sendable () -> Date = { Date() },
        analysis: AnalysisRuntime = AnalysisRuntime(),
        testing: TestingSetup = .router,
        _ body: @Sendable (TestApp) async throws -> T
    ) async throws -> T {
        var config = VigilConfig()
        config.mode = .test
        config.auth.bcryptCost = 4
        // Every app of the run shares one test process (2 cooperative threads here): under that load a
        // migration can wait long for its turn, which is not what these tests measure.
        config.startupTimeout = .seconds(300)
        configure(&config)
        var logger = Logger(label: "vigil-test")
        logger.logLevel = .warning
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url: String
        switch backend {
        case _ where explicitURL != nil: url = explicitURL!
        case .sqlite: url = "sqlite:" + directory.appendingPathComponent("vigil.sqlite").path
        case .postgres: url = try #require(Backend.postgresURL)
        }
        let store = try await VigilStore.open(url: url, logger: logger)
        let app = try await buildApplication(
            config: config, store: store, signingKey: testSigningKey, logger: logger, now: now, analysis: analysis)
        return try await app.test(testing) { client in
            try await body(TestApp(client: client, store: store, backend: backend))
        }
    }

    /// Creates a user with a unique name (prefix + random suffix) and returns its name and password.
    func addUser(_ role: Role, prefix: String? = nil, organization: String = "default") async throws -> (name: String, password: String) {
        let username = "\(prefix ?? role.rawValue)-\(UUID().uuidString.prefix(8).lowercased())"
        let password = "pw-\(UUID().uuidString)"
        let record = UserRecord(
            id: UUID().uuidString.lowercased(),
            username: Username(username)!,
            passwordHash: try await PasswordHasher(cost: 4).hash(password),
            role: role,
            organization: organization
        )
        try await store.auth.createUser(record)
        return (username, password)
    }

    func login(_ username: String, _ password: String) async throws -> TokenPair {
        let response = try await post("/v1/auth/token", json: #"{"username":"\#(username)","password":"\#(password)"}"#)
        #expect(response.status == .ok)
        return try JSONDecoder().decode(TokenPair.self, from: Data(buffer: response.body))
    }

    /// A new patient and its access token.
    func patient() async throws -> (subject: String, token: String) {
        let user = try await addUser(.patient)
        return (user.name, try await login(user.name, user.password).accessToken)
    }

    func post(_ path: String, json: String, token: String? = nil, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        try await post(path, bytes: Array(json.utf8), token: token, headers: extra)
    }

    func post(_ path: String, bytes: [UInt8], token: String? = nil, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        for field in extra { headers[field.name] = field.value }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    func get(_ path: String, token: String? = nil, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: path, method: .get, headers: headers, body: nil)
    }

    func count(_ subject: String) async throws -> Int {
        try await store.samples.count(subject: Username(subject)!)
    }

    /// Every sample of a subject, following cursors.
    func allSamples(_ subject: String, token: String, query: String = "limit=1000") async throws -> [[String: Any]] {
        var samples = [[String: Any]]()
        var cursor: String?
        repeat {
            var path = "/v1/subjects/\(subject)/samples?\(query)"
            if let cursor { path += "&cursor=\(cursor)" }
            let response = try await get(path, token: token)
            #expect(response.status == .ok)
            let page = try response.jsonObject()
            samples += page["samples"] as? [[String: Any]] ?? []
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        return samples
    }
}

extension TestResponse {
    func jsonObject() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(buffer: body), options: [.fragmentsAllowed])
        return try #require(object as? [String: Any], "body is not a JSON object: \(String(buffer: body))")
    }

    /// The `error` member of an error body.
    func apiError() throws -> (code: String, message: String, requestID: String, details: [[String: Any]]) {
        let error = try #require(try jsonObject()["error"] as? [String: Any], "no error object in \(String(buffer: body))")
        return (
            error["code"] as? String ?? "", error["message"] as? String ?? "", error["request_id"] as? String ?? "",
            error["details"] as? [[String: Any]] ?? []
        )
    }
}

/// Builds sample JSON for tests.
enum SampleJSON {
    static func quantity(
        _ type: String,
        _ value: Double,
        _ unit: String,
        start: String = "2026-11-20T07:15:00+01:00",
        uuid: String = UUID().uuidString
    ) -> String {
        #"{"uuid":"\#(uuid)","type":"\#(type)","start":"\#(start)","value":\#(value),"unit":"\#(unit)"}"#
    }

    static func batch(_ samples: [String]) -> String {
        #"{"samples":[\#(samples.joined(separator: ","))]}"#
    }

    /// `count` heart-rate samples one minute apart from `base`.
    static func heartRates(_ count: Int, base: Date = Date(timeIntervalSince1970: 1_795_000_000)) -> [String] {
        let formatter = ISO8601DateFormatter()
        return (0..<count).map { i in
            quantity("heart_rate", Double(60 + i % 50), "count/min", start: formatter.string(from: base.addingTimeInterval(Double(i) * 60)))
        }
    }
}
