import Foundation
import Logging
import Testing
import VigilCore
@testable import VigilServer
import VigilStorage

/// The published contract (docs/openapi.json) and the server agree: the router's routes are exactly the
/// document's operations, the binary serves the document in the repository, and every error code the
/// API documents is in it.
@Suite("OpenAPI contract")
struct OpenAPIContractTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func document() throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent("docs/openapi.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("every route the router registers is an operation of the document, and the other way round")
    func routesMatch() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-openapi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await VigilStore.open(url: "sqlite:" + directory.appendingPathComponent("v.sqlite").path, logger: Logger(label: "t"))
        let routes = await registeredRoutes(config: VigilConfig(), store: store, signingKey: testSigningKey, logger: Logger(label: "t"))
        try await store.driver.close()
        let registered = Set(routes.map { "\($0.method) \($0.path)" })
        let paths = try #require(try Self.document()["paths"] as? [String: [String: Any]])
        let methods = ["get", "post", "put", "patch", "delete", "head"]
        let documented = Set(paths.flatMap { path, operations in
            operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
        })
        #expect(registered.subtracting(documented).isEmpty, "routes missing from docs/openapi.json: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "documented operations the router lacks: \(documented.subtracting(registered).sorted())")
    }

    @Test("the binary serves exactly docs/openapi.json (run tools/openapi-embed.sh after editing it)")
    func embeddedDocumentIsCurrent() async throws {
        let file = try String(contentsOf: Self.root.appendingPathComponent("docs/openapi.json"), encoding: .utf8)
        #expect(OpenAPIDocument.json == file.trimmingCharacters(in: .newlines))
        try await TestApp.run(.sqlite) { app in
            let response = try await app.get("/openapi.json")
            #expect(response.status == .ok)
            let served = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            #expect(served["openapi"] as? String == "3.1.0")
        }
    }

    @Test("every error code of docs/API.md's table appears in the document")
    func errorCodesDocumented() throws {
        let api = try String(contentsOf: Self.root.appendingPathComponent("docs/API.md"), encoding: .utf8)
        let openapi = try String(contentsOf: Self.root.appendingPathComponent("docs/openapi.json"), encoding: .utf8)
        let table = api.components(separatedBy: "## Error codes").last?.components(separatedBy: "\n## ").first ?? ""
        var codes = Set<String>()
        for line in table.split(separator: "\n") where line.hasPrefix("| ") {
            let cells = line.split(separator: "|")
            guard cells.count >= 2 else { continue }
            for part in cells[1].split(separator: "`").enumerated() where part.offset % 2 == 1 { codes.insert(String(part.element)) }
        }
        #expect(codes.count > 15)
        let missing = codes.filter { !openapi.contains("\"\($0)\"") }
        #expect(missing.isEmpty, "error codes of docs/API.md not in docs/openapi.json: \(missing.sorted())")
    }
}
