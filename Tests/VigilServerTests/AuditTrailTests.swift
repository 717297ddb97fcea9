import Foundation
import HTTPTypes
import Testing
import VigilCore

@Suite("Audit trail")
struct AuditTrailTests {
    /// (action, outcome, record count or nil for "any")
    typealias Expected = (AuditEvent.Action, AuditEvent.Outcome, Int?)

    func expect(
        _ app: TestApp, _ request: (status: HTTPResponse.Status, requestID: String), status: HTTPResponse.Status, _ expected: [Expected],
        organization: String = "default", sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(request.status == status, sourceLocation: sourceLocation)
        let events = try await app.auditEvents(requestID: request.requestID, organization: organization)
        #expect(
            events.count == expected.count, "events: \(events.map { "\($0.event.action.rawValue)/\($0.event.outcome.rawValue)" })",
            sourceLocation: sourceLocation)
        for (event, (action, outcome, count)) in zip(events, expected) {
            #expect(event.event.action == action, sourceLocation: sourceLocation)
            #expect(event.event.outcome == outcome, sourceLocation: sourceLocation)
            if let count { #expect(event.event.recordCount == count, sourceLocation: sourceLocation) }
            #expect(event.event.origin.userAgent == "vigil-tests", sourceLocation: sourceLocation)
        }
    }

    @Test("every health-data endpoint leaves exactly the expected audit events, denied requests included", arguments: Backend.all)
    func eventsPerEndpoint(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let patient = try await app.addUser(.patient)
            let token = try await app.login(patient.name, patient.password).accessToken
            let other = try await app.patient()
            let clinician = try await app.addUser(.clinician)
            let clinicianToken = try await app.login(clinician.name, clinician.password).accessToken
            let admin = try await app.addUser(.admin)
            let adminToken = try await app.login(admin.name, admin.password).accessToken
            let auditor = try await app.addUser(.auditor)
            let auditorToken = try await app.login(auditor.name, auditor.password).accessToken
            let samples = "/v1/subjects/\(patient.name)/samples"

            try await expect(
                app, try await app.tracked(.post, samples, json: SampleJSON.batch(SampleJSON.heartRates(3)), token: token), status: .ok,
                [(.sampleWrite, .success, 3)])
            try await expect(app, try await app.tracked(.get, samples, token: token), status: .ok, [(.sampleRead, .success, 3)])
            try await expect(
                app, try await app.tracked(.post, samples, json: #"{"samples":[{}]}"#, token: token), status: .unprocessableContent,
                [(.sampleWrite, .error, 0)])
            try await expect(app, try await app.tracked(.get, samples, token: other.token), status: .notFound, [(.sampleRead, .denied, 0)])
            try await expect(
                app, try await app.tracked(.post, samples, json: #"{"samples":[]}"#, token: clinicianToken), status: .notFound,
                [(.sampleWrite, .denied, 0)])
            try await expect(app, try await app.tracked(.get, samples, token: adminToken), status: .notFound, [(.sampleRead, .denied, 0)])

            let grants = "/v1/subjects/\(patient.name)/grants"
            let created = try await app.post(grants, json: #"{"grantee":"\#(clinician.name)","scope":"read"}"#, token: token)
            let grantID = try created.jsonObject()["id"] as? String ?? ""
            try await expect(app, try await app.tracked(.get, samples, token: clinicianToken), status: .ok, [(.sampleRead, .success, 3)])
            try await expect(
                app, try await app.tracked(.post, samples, json: #"{"samples":[]}"#, token: clinicianToken), status: .forbidden,
                [(.sampleWrite, .denied, 0)])
            try await expect(app, try await app.tracked(.get, grants, token: token), status: .ok, [(.grantList, .success, 1)])
            try await expect(
                app, try await app.tracked(.post, grants, json: #"{"grantee":"nobody","scope":"read"}"#, token: token),
                status: .unprocessableContent, [(.grantCreate, .error, 0)])
            try await expect(
                app, try await app.tracked(.get, grants, token: clinicianToken), status: .forbidden, [(.grantList, .denied, 0)])
            try await expect(
                app, try await app.tracked(.delete, "\(grants)/\(grantID)", token: adminToken), status: .noContent,
                [(.grantRevoke, .success, 1)])
            try await expect(
                app, try await app.tracked(.get, samples, token: clinicianToken), status: .notFound, [(.sampleRead, .denied, 0)])

            try await expect(app, try await app.tracked(.get, "/v1/users", token: adminToken), status: .ok, [(.userList, .success, nil)])
            try await expect(app, try await app.tracked(.get, "/v1/users", token: token), status: .forbidden, [(.userList, .denied, 0)])
            try await expect(
                app, try await app.tracked(.get, "/v1/audit-events?limit=5", token: auditorToken), status: .ok, [(.auditRead, .success, 5)])
            try await expect(
                app, try await app.tracked(.get, "/v1/audit-events", token: adminToken), status: .forbidden, [(.auditRead, .denied, 0)])

            try await expect(
                app,
                try await app.tracked(.post, "/v1/auth/token", json: #"{"username":"\#(patient.name)","password":"\#(patient.password)"}"#),
                status: .ok, [(.login, .success, 0)])
            try await expect(
                app, try await app.tracked(.post, "/v1/auth/token", json: #"{"username":"\#(patient.name)","password":"wrong"}"#),
                status: .unauthorized, [(.login, .denied, 0)])
            try await expect(
                app,
                try await app.tracked(
                    .post, "/v1/auth/token", json: #"{"username":"ghost-\#(UUID().uuidString.prefix(6))","password":"wrong"}"#),
                status: .unauthorized,
                [(.login, .denied, 0)],
                organization: AuditEvent.unattributedOrganization
            )
            let pair = try await app.login(patient.name, patient.password)
            try await expect(
                app, try await app.tracked(.post, "/v1/auth/refresh", json: #"{"refresh_token":"\#(pair.refreshToken)"}"#), status: .ok,
                [(.refresh, .success, 0)])
            try await expect(
                app, try await app.tracked(.post, "/v1/auth/refresh", json: #"{"refresh_token":"\#(pair.refreshToken)"}"#),
                status: .unauthorized, [(.refresh, .denied, 0)])
        }
    }

    @Test("auditors page the trail with filters and get FHIR AuditEvent bundles; nothing crosses organisations", arguments: Backend.all)
    func auditorQueries(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let org = "audit-\(UUID().uuidString.prefix(6).lowercased())"
            let patient = try await app.addUser(.patient, organization: org)
            let token = try await app.login(patient.name, patient.password).accessToken
            let auditor = try await app.addUser(.auditor, organization: org)
            let auditorToken = try await app.login(auditor.name, auditor.password).accessToken
            let outsider = try await app.addUser(.auditor, organization: "other-\(org)")
            let outsiderToken = try await app.login(outsider.name, outsider.password).accessToken
            for _ in 0..<5 { _ = try await app.get("/v1/subjects/\(patient.name)/samples", token: token) }

            let page = try await app.get("/v1/audit-events?subject=\(patient.name)&action=sample.read&limit=2", token: auditorToken)
                .jsonObject()
            let events = page["events"] as? [[String: Any]] ?? []
            #expect(events.count == 2)
            #expect(events.allSatisfy { $0["action"] as? String == "sample.read" && $0["subject"] as? String == patient.name })
            #expect(events.allSatisfy { ($0["hash"] as? String)?.count == 64 })
            let cursor = try #require(page["next_cursor"] as? String)
            let rest = try await app.allAuditEvents(
                token: auditorToken, query: "subject=\(patient.name)&action=sample.read&limit=2", cursor: cursor)
            #expect(rest.count == 3)
            #expect(
                try await app.get("/v1/audit-events?subject=\(patient.name)&limit=3&cursor=\(cursor)", token: auditorToken).status
                    == .badRequest)
            #expect(try await app.get("/v1/audit-events?action=nonsense", token: auditorToken).status == .badRequest)

            let outsiderView = try await app.get("/v1/audit-events?subject=\(patient.name)", token: outsiderToken).jsonObject()
            #expect((outsiderView["events"] as? [Any])?.isEmpty == true)

            let fhir = try await app.get("/v1/audit-events?subject=\(patient.name)&limit=3&format=fhir", token: auditorToken)
            #expect(fhir.headers[.contentType]?.hasPrefix("application/fhir+json") == true)
            let bundle = try fhir.jsonObject()
            #expect(bundle["resourceType"] as? String == "Bundle")
            #expect(bundle["type"] as? String == "searchset")
            let entries = bundle["entry"] as? [[String: Any]] ?? []
            #expect(entries.count == 3)
            let resource = try #require(entries.first?["resource"] as? [String: Any])
            #expect(resource["resourceType"] as? String == "AuditEvent")
            #expect(resource["action"] as? String == "R")
            #expect(resource["outcome"] as? String == "0")
            #expect(
                ((resource["entity"] as? [[String: Any]])?.first?["what"] as? [String: Any])?["reference"] as? String
                    == "Patient/\(patient.name)")
            #expect((bundle["link"] as? [[String: Any]])?.first?["relation"] as? String == "next")
        }
    }
}

extension TestApp {
    func allAuditEvents(token: String, query: String, cursor: String?) async throws -> [[String: Any]] {
        var events = [[String: Any]]()
        var cursor = cursor
        repeat {
            var path = "/v1/audit-events?\(query)"
            if let cursor { path += "&cursor=\(cursor)" }
            let page = try await get(path, token: token).jsonObject()
            events += page["events"] as? [[String: Any]] ?? []
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        return events
    }
}

@Suite("FHIR validation")
struct FHIRValidationTests {
    static let python = ProcessInfo.processInfo.environment["VIGIL_TEST_PYTHON"]

    @Test(
        "the audit-events FHIR Bundle validates with fhir.resources",
        .enabled(if: python != nil, "set VIGIL_TEST_PYTHON to a python with fhir.resources (.ci/run does)")
    )
    func bundleValidates() async throws {
        try await TestApp.run(.sqlite) { app in
            let org = "fhir-\(UUID().uuidString.prefix(6).lowercased())"
            let patient = try await app.addUser(.patient, organization: org)
            let token = try await app.login(patient.name, patient.password).accessToken
            let auditor = try await app.addUser(.auditor, organization: org)
            let auditorToken = try await app.login(auditor.name, auditor.password).accessToken
            _ = try await app.post("/v1/subjects/\(patient.name)/samples", json: SampleJSON.batch(SampleJSON.heartRates(2)), token: token)
            _ = try await app.get("/v1/subjects/\(patient.name)/samples", token: token)
            _ = try await app.get("/v1/subjects/nobody/samples", token: token)
            _ = try await app.post("/v1/auth/token", json: #"{"username":"\#(patient.name)","password":"wrong"}"#)
            let bundle = try await app.get("/v1/audit-events?format=fhir", token: auditorToken)

            let process = Process()
            process.executableURL = URL(fileURLWithPath: try #require(Self.python))
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "../../tools/validate_fhir_bundle.py")
            process.arguments = [script.standardized.path]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            input.fileHandleForWriting.write(Data(buffer: bundle.body))
            try input.fileHandleForWriting.close()
            let result = try await Blocking.run { String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
            await Blocking.wait(process)
            #expect(process.terminationStatus == 0, "\(result)")
            #expect(result.split(separator: " ").count == 6, "\(result)")
            #expect(result.split(separator: " ").allSatisfy { $0.trimmingCharacters(in: .whitespacesAndNewlines) == "AuditEvent" })
        }
    }
}
