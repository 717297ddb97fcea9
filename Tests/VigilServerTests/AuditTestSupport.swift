import Foundation
import HTTPTypes
import Logging
import SQLKit
import Testing
import VigilCore
import VigilStorage

extension TestApp {
    /// The audit events a request left, found by its request id.
    func auditEvents(requestID: String, organization: String = "default") async throws -> [ChainedAuditEvent] {
        var query = AuditQuery(organization: organization, limit: 1000)
        query.requestID = requestID
        return try await store.audit.events(query)
    }

    /// Sends a request with a fresh `X-Request-ID` and returns the response and that id.
    func tracked(
        _ method: HTTPRequest.Method,
        _ path: String,
        json: String? = nil,
        token: String? = nil
    ) async throws -> (status: HTTPResponse.Status, requestID: String) {
        let requestID = "test-\(UUID().uuidString.lowercased())"
        var headers: HTTPFields = [.requestIDForTests: requestID, .userAgent: "vigil-tests"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: json.map { .init(string: $0) })
        return (response.status, requestID)
    }
}

extension HTTPField.Name {
    static let requestIDForTests = HTTPField.Name("X-Request-ID")!
}

/// The `vigil` executable built next to the test bundle (`swift test` builds every product).
enum VigilBinary {
    static var url: URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("vigil").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("vigil")
    }

    /// Runs `vigil arguments…` and returns its exit code and standard output. Waiting happens on a dispatch
    /// thread: blocking one of the two cooperative threads here would stall every other test meanwhile.
    /// With `captureErrors` the output is standard error instead.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], input: String? = nil, captureErrors: Bool = false
    ) async throws -> (status: Int32, output: String) {
        try await Blocking.run { try runBlocking(arguments, environment: environment, input: input, captureErrors: captureErrors) }
    }

    private static func runBlocking(
        _ arguments: [String], environment: [String: String], input: String?, captureErrors: Bool
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        // Test mode unless a test asks otherwise: development would generate keys in the working directory.
        process.environment = ProcessInfo.processInfo.environment.merging(["VIGIL_ENV": "test"]) { $1 }.merging(environment) { $1 }
        let pipe = Pipe()
        if captureErrors {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = pipe
        } else {
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
        }
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Starts `vigil arguments…` in the background (output discarded).
    static func start(_ arguments: [String], environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        // Test mode unless a test asks otherwise: development would generate keys in the working directory.
        process.environment = ProcessInfo.processInfo.environment.merging(["VIGIL_ENV": "test"]) { $1 }.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// Blocking work (waiting for processes) off the cooperative thread pool.
enum Blocking {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    static func wait(_ process: Process) async {
        _ = try? await run { process.waitUntilExit() }
    }
}

/// A database of its own for tests that change it behind Vigil's back (tampering, killing):
/// a new SQLite file, or a new database on the test PostgreSQL cluster (dropped afterwards).
enum ScratchDatabase {
    static func with<T: Sendable>(_ backend: Backend, _ body: @Sendable (String) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-scratch-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            return try await body("sqlite:" + directory.appendingPathComponent("vigil.sqlite").path)
        case .postgres:
            let base = try #require(Backend.postgresURL)
            let name = "vigil_scratch_\(UUID().uuidString.prefix(8).lowercased())"
            try await admin(base, "CREATE DATABASE \(name)")
            var components = try #require(URLComponents(string: base))
            components.path = "/" + name
            let url = try #require(components.string)
            do {
                let result = try await body(url)
                try await admin(base, "DROP DATABASE \(name) WITH (FORCE)")
                return result
            } catch {
                try? await admin(base, "DROP DATABASE \(name) WITH (FORCE)")
                throw error
            }
        }
    }

    /// One `CREATE`/`DROP DATABASE` at a time: run together (tamper, kill and paging tests start a dozen),
    /// they queue inside PostgreSQL — each copies the template — long enough for pool leases to time out.
    private static func admin(_ url: String, _ statement: String) async throws {
        await ScratchDatabaseGate.shared.acquire()
        defer { Task { await ScratchDatabaseGate.shared.release() } }
        let store = try await VigilStore.open(url: url, logger: Logger(label: "scratch"))
        try await store.withRunning {
            try await store.driver.read { db in try await db.raw(SQLQueryString(statement)).run() }
        }
    }
}

/// A first-come lock for ``ScratchDatabase``'s administrative statements.
actor ScratchDatabaseGate {
    static let shared = ScratchDatabaseGate()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}
