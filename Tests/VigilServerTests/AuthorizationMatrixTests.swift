import Foundation
import HTTPTypes
import Logging
import Testing
import VigilCore
import VigilServer
import VigilStorage

/// The authorization matrix: every `/v1` route × role × relation to the subject → expected status.
/// Relations: `own`, `read` / `read_write` (an active grant), `expired`, `revoked` (a grant that no longer
/// counts), `none` (same organisation, no grant), `other_org`.
enum AuthorizationMatrix {
    static let actors = [
        "patient/own", "patient/none", "patient/other_org",
        "clinician/read", "clinician/read_write", "clinician/expired", "clinician/revoked", "clinician/none", "clinician/other_org",
        "admin/read", "admin/none", "admin/other_org",
        "auditor/none", "auditor/other_org",
    ]

    /// One row per route; each row lists the expected status for every actor.
    static let table: [(method: String, path: String, expected: [String: Int])] = [
        ("GET", "/v1/subjects/:subject/samples", row(own: 200, read: 200, readWrite: 200, admin: 404, adminRead: 200)),
        ("POST", "/v1/subjects/:subject/samples", row(own: 200, read: 403, readWrite: 200, admin: 404, adminRead: 403)),
        ("GET", "/v1/subjects/:subject/actigraphy", row(own: 200, read: 200, readWrite: 200, admin: 404, adminRead: 200)),
        ("GET", "/v1/subjects/:subject/actigraphy/actogram.svg", row(own: 200, read: 200, readWrite: 200, admin: 404, adminRead: 200)),
        ("POST", "/v1/subjects/:subject/analyses", row(own: 202, read: 202, readWrite: 202, admin: 404, adminRead: 202)),
        ("GET", "/v1/analyses/:id", row(own: 200, read: 200, readWrite: 200, admin: 404, adminRead: 200)),
        ("GET", "/v1/subjects/:subject/grants", row(own: 200, read: 403, readWrite: 403, admin: 200, adminRead: 200)),
        ("POST", "/v1/subjects/:subject/grants", row(own: 201, read: 403, readWrite: 403, admin: 201, adminRead: 201)),
        ("DELETE", "/v1/subjects/:subject/grants/:id", row(own: 204, read: 403, readWrite: 403, admin: 204, adminRead: 204)),
        ("POST", "/v1/auth/token", everyone(200)),
        ("POST", "/v1/auth/refresh", everyone(200)),
        ("POST", "/v1/auth/logout", everyone(204)),
        ("GET", "/v1/me", everyone(200)),
        ("GET", "/v1/users", roles(admin: 200, otherOrgAdmin: 200)),
        ("POST", "/v1/users", roles(admin: 201, otherOrgAdmin: 201)),
        ("GET", "/v1/users/:username", roles(admin: 200, otherOrgAdmin: 404)),
        ("DELETE", "/v1/users/:username", roles(admin: 204, otherOrgAdmin: 404)),
        ("GET", "/v1/care-teams", roles(admin: 200, otherOrgAdmin: 200, clinician: 200)),
        ("POST", "/v1/care-teams", roles(admin: 201, otherOrgAdmin: 201)),
        ("PUT", "/v1/care-teams/:id/members", roles(admin: 200, otherOrgAdmin: 404)),
        ("DELETE", "/v1/care-teams/:id", roles(admin: 204, otherOrgAdmin: 404)),
        ("GET", "/v1/audit-events", roles(auditor: 200)),
        // Without an upgrade the stream endpoint answers 400 upgrade_required to anyone authenticated.
        ("GET", "/v1/stream", everyone(400)),
        ("GET", "/v1/admin/realtime", roles(admin: 200, otherOrgAdmin: 200)),
        ("GET", "/v1/admin/analyses", roles(admin: 200, otherOrgAdmin: 200)),
    ]

    /// Subject routes: whoever has no relation gets the 404 of a nonexistent subject.
    static func row(own: Int, read: Int, readWrite: Int, admin: Int, adminRead: Int) -> [String: Int] {
        var expected = Dictionary(uniqueKeysWithValues: actors.map { ($0, 404) })
        expected["patient/own"] = own
        expected["clinician/read"] = read
        expected["clinician/read_write"] = readWrite
        expected["admin/none"] = admin
        expected["admin/read"] = adminRead
        return expected
    }

    static func everyone(_ status: Int) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: actors.map { ($0, status) })
    }

    /// Role-gated routes: `403` for every other role.
    static func roles(admin: Int = 403, otherOrgAdmin: Int = 403, clinician: Int = 403, auditor: Int = 403) -> [String: Int] {
        var expected = Dictionary(uniqueKeysWithValues: actors.map { ($0, 403) })
        for actor in actors where actor.hasPrefix("clinician/") { expected[actor] = clinician }
        for actor in actors where actor.hasPrefix("auditor/") { expected[actor] = auditor }
        expected["admin/none"] = admin
        expected["admin/read"] = admin
        expected["admin/other_org"] = otherOrgAdmin
        return expected
    }
}

@Suite("Authorization matrix")
struct AuthorizationMatrixTests {
    @Test("every /v1 route the router has is in the matrix, and every matrix route exists")
    func routesAreCovered() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-routes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await VigilStore.open(
            url: "sqlite:" + directory.appendingPathComponent("v.sqlite").path, logger: Logger(label: "test"))
        let routes = await registeredRoutes(config: VigilConfig(), store: store, signingKey: testSigningKey, logger: Logger(label: "test"))
        let registered = Set(routes.filter { $0.path.hasPrefix("/v1") }.map { "\($0.method) \($0.path)" })
        let table = Set(
            AuthorizationMatrix.table.map { row in
                "\(row.method) "
                    + row.path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            }.map { $0.replacingOccurrences(of: " v1", with: " /v1") }
        )
        #expect(registered.subtracting(table).isEmpty, "routes missing from the matrix: \(registered.subtracting(table).sorted())")
        #expect(table.subtracting(registered).isEmpty, "matrix routes the router lacks: \(table.subtracting(registered).sorted())")
        #expect(AuthorizationMatrix.table.allSatisfy { Set($0.expected.keys) == Set(AuthorizationMatrix.actors) })
        try await store.driver.close()
    }

    @Test("route × role × relation → expected status", arguments: Backend.all)
    func matrix(backend: Backend) async throws {
        let clock = TestClock()
        try await TestApp.run(backend, now: { clock.now }) { app in
            let world = try await AccessWorld.make(app, clock: clock)
            var failures = [String]()
            for row in AuthorizationMatrix.table {
                for actor in AuthorizationMatrix.actors {
                    let expected = row.expected[actor]!
                    let status = try await world.perform(row.method, row.path, as: actor)
                    if status != expected { failures.append("\(row.method) \(row.path) as \(actor): expected \(expected), got \(status)") }
                }
            }
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        }
    }
}

/// Two organisations with a patient and one user per (role, relation) of the matrix.
struct AccessWorld {
    let app: TestApp
    let subject: String
    let patientToken: String
    let adminToken: String
    let granteeName: String
    var tokens: [String: String]
    var credentials: [String: (name: String, password: String)]

    static func make(_ app: TestApp, clock: TestClock) async throws -> AccessWorld {
        let suffix = UUID().uuidString.prefix(6).lowercased()
        let orgA = "org-a-\(suffix)"
        let orgB = "org-b-\(suffix)"
        func user(_ role: Role, _ org: String) async throws -> (name: String, password: String) {
            try await app.addUser(role, organization: org)
        }
        let patient = try await user(.patient, orgA)
        let patientToken = try await app.login(patient.name, patient.password).accessToken
        let people: [String: (Role, String)] = [
            "patient/none": (.patient, orgA), "patient/other_org": (.patient, orgB),
            "clinician/read": (.clinician, orgA), "clinician/read_write": (.clinician, orgA), "clinician/expired": (.clinician, orgA),
            "clinician/revoked": (.clinician, orgA), "clinician/none": (.clinician, orgA), "clinician/other_org": (.clinician, orgB),
            "admin/read": (.admin, orgA), "admin/none": (.admin, orgA), "admin/other_org": (.admin, orgB),
            "auditor/none": (.auditor, orgA), "auditor/other_org": (.auditor, orgB),
        ]
        var credentials = [String: (name: String, password: String)]()
        for (actor, (role, org)) in people { credentials[actor] = try await user(role, org) }
        let grantee = try await user(.clinician, orgA)
        // Two days of activity, so the actigraphy routes have something to report.
        try await ActigraphyEndpointTests.ingest(app, subject: patient.name, token: patientToken, minutes: 2 * 1440)
        let grants = "/v1/subjects/\(patient.name)/grants"
        func grant(_ actor: String, _ scope: String, expires: String? = nil) async throws -> String {
            let expiry = expires.map { #","expires_at":"\#($0)""# } ?? ""
            let response = try await app.post(
                grants, json: #"{"grantee":"\#(credentials[actor]!.name)","scope":"\#(scope)"\#(expiry)}"#, token: patientToken)
            #expect(response.status == .created, "\(String(buffer: response.body))")
            return try response.jsonObject()["id"] as? String ?? ""
        }
        _ = try await grant("clinician/read", "read")
        _ = try await grant("clinician/read_write", "read_write")
        _ = try await grant("admin/read", "read")
        let soon = Timestamp(microseconds: Int64((clock.now.timeIntervalSince1970 + 60) * 1_000_000), offsetSeconds: 0).rfc3339
        _ = try await grant("clinician/expired", "read_write", expires: soon)
        let revoked = try await grant("clinician/revoked", "read_write")
        #expect(
            try await app.client.execute(
                uri: "\(grants)/\(revoked)", method: .delete, headers: [.authorization: "Bearer \(patientToken)"], body: nil
            ).status == .noContent)
        clock.advance(by: 120)
        var tokens = ["patient/own": patientToken]
        for (actor, credential) in credentials { tokens[actor] = try await app.login(credential.name, credential.password).accessToken }
        credentials["patient/own"] = patient
        return AccessWorld(
            app: app,
            subject: patient.name,
            patientToken: patientToken,
            adminToken: tokens["admin/none"]!,
            granteeName: grantee.name,
            tokens: tokens,
            credentials: credentials
        )
    }

    /// Sends one matrix request as `actor`, creating whatever the path's `:id` or `:username` must name.
    func perform(_ method: String, _ template: String, as actor: String) async throws -> Int {
        var path = template.replacingOccurrences(of: ":subject", with: subject)
        var body: String?
        switch (method, template) {
        case ("POST", "/v1/auth/token"):
            body = #"{"username":"\#(credentials[actor]!.name)","password":"\#(credentials[actor]!.password)"}"#
        case ("POST", "/v1/auth/refresh"), ("POST", "/v1/auth/logout"):
            let pair = try await app.login(credentials[actor]!.name, credentials[actor]!.password)
            body = #"{"refresh_token":"\#(pair.refreshToken)"}"#
        case ("POST", "/v1/subjects/:subject/samples"): body = SampleJSON.batch([SampleJSON.quantity("heart_rate", 70, "bpm")])
        case ("POST", "/v1/subjects/:subject/grants"): body = #"{"grantee":"\#(granteeName)","scope":"read"}"#
        case ("POST", "/v1/subjects/:subject/analyses"): body = #"{"kind":"actigraphy_report"}"#
        case ("GET", "/v1/analyses/:id"):
            let created = try await app.post(
                "/v1/subjects/\(subject)/analyses", json: #"{"kind":"actigraphy_report"}"#, token: patientToken)
            path = "/v1/analyses/" + (try created.jsonObject()["id"] as? String ?? "")
        case ("DELETE", "/v1/subjects/:subject/grants/:id"):
            let created = try await app.post(
                "/v1/subjects/\(subject)/grants", json: #"{"grantee":"\#(granteeName)","scope":"read"}"#, token: patientToken)
            path = path.replacingOccurrences(of: ":id", with: try created.jsonObject()["id"] as? String ?? "")
        case ("POST", "/v1/users"):
            body = #"{"username":"new-\#(UUID().uuidString.prefix(8).lowercased())","password":"long enough password","role":"clinician"}"#
        case (_, "/v1/users/:username"):
            let created = try await app.post(
                "/v1/users",
                json:
                    #"{"username":"target-\#(UUID().uuidString.prefix(8).lowercased())","password":"long enough password","role":"clinician"}"#,
                token: adminToken
            )
            path = path.replacingOccurrences(of: ":username", with: try created.jsonObject()["username"] as? String ?? "")
        case ("POST", "/v1/care-teams"): body = #"{"name":"Ward 3","members":[]}"#
        case (_, "/v1/care-teams/:id/members"), (_, "/v1/care-teams/:id"):
            let created = try await app.post("/v1/care-teams", json: #"{"name":"Team","members":[]}"#, token: adminToken)
            path = path.replacingOccurrences(of: ":id", with: try created.jsonObject()["id"] as? String ?? "")
            if method == "PUT" { body = #"{"members":[]}"# }
        default: break
        }
        var headers: HTTPFields = [.authorization: "Bearer \(tokens[actor]!)"]
        if body != nil { headers[.contentType] = "application/json" }
        let response = try await app.client.execute(
            uri: path,
            method: HTTPRequest.Method(method)!,
            headers: headers,
            body: body.map { .init(string: $0) }
        )
        return Int(response.status.code)
    }
}
