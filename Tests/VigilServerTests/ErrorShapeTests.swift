import Foundation
import HTTPTypes
import Testing

@Suite("Error shape and request ids")
struct ErrorShapeTests {
    @Test("unknown routes, wrong methods, wrong content type and malformed JSON get the API error shape", arguments: Backend.all)
    func errorShape(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            let unknown = try await app.get("/v1/nothing-here", token: token)
            #expect(unknown.status == .notFound)
            #expect(try unknown.apiError().code == "not_found")

            let wrongMethod = try await app.client.execute(uri: "/v1/auth/token", method: .get, headers: [:], body: nil)
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.headers[.allow] == "POST")
            #expect(try wrongMethod.apiError().code == "method_not_allowed")

            let path = "/v1/subjects/\(subject)/samples"
            let plain = try await app.post(path, json: "{}", token: token, headers: [.contentType: "text/plain"])
            #expect(plain.status == .unsupportedMediaType)
            #expect(try plain.apiError().code == "unsupported_media_type")

            let malformed = try await app.post(path, json: "{\"samples\": [\n  {\"uuid\": }\n]}", token: token)
            #expect(malformed.status == .badRequest)
            let error = try malformed.apiError()
            #expect(error.code == "malformed_json")
            #expect(error.message.contains("line 2, column 12"), "\(error.message)")

            let truncated = try await app.post("/v1/auth/token", json: #"{"username": "a""#)
            #expect(truncated.status == .badRequest)
            #expect(try truncated.apiError().message.contains("end of input"))
        }
    }

    @Test("X-Request-ID is echoed when sane, generated otherwise, and repeated in error bodies", arguments: Backend.all)
    func requestIDs(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let echoed = try await app.get("/health", headers: [.init("X-Request-ID")!: "client-id-123"])
            #expect(echoed.status == .ok)
            #expect(echoed.headers[.init("X-Request-ID")!] == "client-id-123")

            let insane = try await app.get("/v1/x", headers: [.init("X-Request-ID")!: "bad id\twith spaces"])
            let generated = try #require(insane.headers[.init("X-Request-ID")!])
            #expect(generated != "bad id\twith spaces" && !generated.isEmpty)
            #expect(try insane.apiError().requestID == generated)

            let unauthorized = try await app.get("/v1/subjects/x/samples", headers: [.init("X-Request-ID")!: "abc"])
            #expect(try unauthorized.apiError().requestID == "abc")
        }
    }
}
