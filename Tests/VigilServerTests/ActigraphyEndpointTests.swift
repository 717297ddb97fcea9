import Foundation
import HTTPTypes
import NIOCore
import Testing
import VigilAnalytics
import VigilCore

/// `GET …/actigraphy` and the actogram, on data imported with `vigil import actigraphy`.
@Suite("Actigraphy report over HTTP", .serialized)
struct ActigraphyEndpointTests {
    static let recordings = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("VigilAnalyticsTests/Resources/actigraphy")

    static func csv(_ name: String) -> URL { recordings.appendingPathComponent("\(name).csv") }

    static func reference(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: recordings.appendingPathComponent("\(name).reference.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test(
        "an imported reference recording gives over HTTP exactly the direct computation, and pyActigraphy's values",
        arguments: Backend.all, ["syn05_10d_gaps_1min", "syn04_7d_30s"])
    func importedReport(backend: Backend, name: String) async throws {
        try await ScratchDatabase.with(backend) { url in
            try await TestApp.run(backend, url: url) { app in
                let (subject, token) = try await app.patient()
                let imported = try await VigilBinary.run(
                    ["import", "actigraphy", Self.csv(name).path, "--subject", subject, "--utc-offset", "+02:00", "--database", url])
                #expect(imported.status == 0)
                let direct = try ActigraphyFile.read(Array(try Data(contentsOf: Self.csv(name)))).recording
                let stored = direct.values.filter { !$0.isNaN }.count
                #expect(imported.output.contains("\(stored) stored, 0 already present"))
                let again = try await VigilBinary.run(
                    ["import", "actigraphy", Self.csv(name).path, "--subject", subject, "--utc-offset", "+02:00", "--database", url])
                #expect(again.status == 0)
                #expect(again.output.contains("0 stored, \(stored) already present"))
                #expect(try await app.count(subject) == stored)

                let (status, requestID) = try await app.tracked(.get, "/v1/subjects/\(subject)/actigraphy?include=scoring", token: token)
                #expect(status == .ok)
                let response = try await app.get("/v1/subjects/\(subject)/actigraphy?include=scoring", token: token)
                let body = try response.jsonObject()
                let expected = try Actigraphy.report(direct)
                #expect(body["epochs"] as? Int == direct.values.count)
                #expect(body["missing_epochs"] as? Int == direct.values.count - stored)
                #expect(body["epoch_seconds"] as? Int == Int(direct.epochSeconds))
                // Foundation's JSONSerialization is not correctly rounded on Linux; Vigil's parser is.
                let tree = try JSONParser.parse(Array(buffer: response.body))
                let metrics = try #require(tree["metrics"])
                let pairs: [(String, Double?)] = [
                    ("is", expected.interdailyStability), ("iv", expected.intradailyVariability), ("ra", expected.relativeAmplitude),
                    ("adat", expected.adat), ("kra", expected.kRA), ("kar", expected.kAR), ("sri", expected.sleepRegularityIndex),
                ]
                for (key, value) in pairs {
                    #expect(Self.number(metrics[key]) == value, "\(key)")
                }
                #expect(Self.number(metrics["l5"]?["value"]) == expected.l5.value)
                #expect(Self.number(metrics["m10"]?["value"]) == expected.m10.value)

                // The stored path reproduces pyActigraphy's numbers, not only our own.
                let reference = try #require(try Self.reference(name)["metrics"] as? [String: [String: Any]])
                for (key, referenceKey) in [("is", "IS"), ("iv", "IV"), ("ra", "RA"), ("adat", "ADAT"), ("kra", "kRA"), ("kar", "kAR")] {
                    let want = try #require(reference[referenceKey]?["value"] as? Double)
                    let got = try #require(Self.number(metrics[key]), "\(key)")
                    #expect(abs(got - want) <= 1e-9 * abs(want), "\(key)")
                }

                let scoring = try #require(body["scoring"] as? [String: [Any]])
                for (algorithm, series) in expected.scoring {
                    let values = try #require(scoring[algorithm.rawValue])
                    #expect(values.map { $0 as? Int } == series.values.map { $0.map(Int.init) }, "\(algorithm)")
                }
                let events = try await app.auditEvents(requestID: requestID)
                #expect(events.map(\.event.action) == [.analysisRead])
                #expect(events.first?.event.recordCount == stored)
                #expect(events.first?.event.outcome == .success)
            }
        }
    }

    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .number(let number)?: number
        case .integer(let integer)?: Double(integer)
        default: nil
        }
    }

    @Test("the actogram is an SVG with one row per local day and the sleep shading", arguments: Backend.all)
    func actogram(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            try await Self.ingestDays(app, subject: subject, token: token, days: 3)
            let response = try await app.get("/v1/subjects/\(subject)/actigraphy/actogram.svg", token: token)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "image/svg+xml; charset=utf-8")
            let svg = String(buffer: response.body)
            #expect(svg.hasPrefix("<svg"))
            #expect(svg.hasSuffix("</svg>\n"))
            for date in ["2026-11-02", "2026-11-03", "2026-11-04"] { #expect(svg.contains(date)) }
            #expect(svg.contains("#cfe3ff"), "sleep shading")
            #expect(svg.contains("UTC+01:00"))
            let other = try await app.get("/v1/subjects/\(subject)/actigraphy/actogram.svg?algorithm=sadeh", token: token)
            #expect(other.status == .ok)
            #expect(String(buffer: other.body).contains("sleep (sadeh)"))
        }
    }

    @Test("access and errors: hidden subjects, too little data, bad parameters", arguments: Backend.all)
    func errors(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            let clinician = try await app.addUser(.clinician)
            let clinicianToken = try await app.login(clinician.name, clinician.password).accessToken
            let path = "/v1/subjects/\(subject)/actigraphy"
            // Nothing stored yet.
            #expect(try await app.get(path, token: token).apiError().code == "insufficient_data")
            // Twelve hours: enough for some metrics, not for L5, M10, RA or SRI.
            try await Self.ingest(app, subject: subject, token: token, minutes: 720)
            let short = try await app.get(path, token: token)
            #expect(short.status == .unprocessableContent)
            let error = try short.apiError()
            #expect(error.code == "insufficient_data")
            let fields = Set(error.details.compactMap { $0["field"] as? String })
            #expect(fields.isSuperset(of: ["l5", "m10", "ra"]))
            // No grant: the same 404 as a subject that does not exist.
            let hidden = try await app.get(path, token: clinicianToken)
            let missing = try await app.get("/v1/subjects/nobody-\(UUID().uuidString.prefix(6))/actigraphy", token: clinicianToken)
            #expect(hidden.status == .notFound && missing.status == .notFound)
            #expect(try hidden.apiError().message == missing.apiError().message)
            #expect(try await app.get(path + "?thresold=3", token: token).status == .badRequest)
            #expect(try await app.get(path + "?from=yesterday", token: token).status == .badRequest)
            #expect(try await app.get(path + "/actogram.svg?algorithm=coin", token: token).status == .badRequest)
        }
    }

    @Test("settings given as query parameters are applied and echoed", arguments: Backend.all)
    func overrides(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            try await Self.ingestDays(app, subject: subject, token: token, days: 3)
            let base = try await app.get("/v1/subjects/\(subject)/actigraphy", token: token).jsonObject()
            let changed = try await app.get("/v1/subjects/\(subject)/actigraphy?binarization_threshold=200", token: token).jsonObject()
            #expect((base["parameters"] as? [String: Any])?["binarization_threshold"] as? Int == 4)
            #expect((changed["parameters"] as? [String: Any])?["binarization_threshold"] as? Int == 200)
            let baseIS = (base["metrics"] as? [String: Any])?["is"] as? Double
            let changedIS = (changed["metrics"] as? [String: Any])?["is"] as? Double
            #expect(baseIS != nil && changedIS != nil && baseIS != changedIS)
            #expect(base["algorithm_version"] as? String == ActigraphyReport.algorithmVersion)
        }
    }

    /// `days` days of 1-minute epochs from 2026-11-02T00:00+01:00: active by day, still at night.
    static func ingestDays(_ app: TestApp, subject: String, token: String, days: Int) async throws {
        try await ingest(app, subject: subject, token: token, minutes: days * 1440)
    }

    /// The synthetic count of minute `minute` after local midnight: active by day, still at night.
    static func activity(minute: Int) -> Double {
        let hour = minute / 60 % 24
        let night = hour < 7 || hour >= 23
        return night ? Double(minute % 17 == 0 ? 3 : 0) : Double(50 + (minute * 37) % 400)
    }

    /// Stores `minutes` epochs from 2026-11-02T00:00:00+01:00 straight through the repository (seed data:
    /// the HTTP ingestion path has its own tests, and parsing 10,000-sample bodies in every test would only
    /// load the one test process that also serves every app).
    static func ingest(_ app: TestApp, subject: String, token: String, minutes: Int) async throws {
        let start: Int64 = 1_793_574_000_000_000
        let samples = (0..<minutes).map { minute in
            Sample(
                uuid: UUID().uuidString, type: .activityCount,
                start: Timestamp(microseconds: start + Int64(minute) * 60_000_000, offsetSeconds: 3600),
                endMicroseconds: start + Int64(minute + 1) * 60_000_000, value: activity(minute: minute), unit: "count")
        }
        let event = AuditEvent(
            organization: "default", actor: .init(username: subject), action: .sampleWrite, resourceType: "Observation", subject: subject,
            recordCount: samples.count, outcome: .success, occurredAt: start, origin: .init(requestID: "test-seed-\(UUID().uuidString)"))
        _ = try await app.store.samples.insert(samples, subject: SubjectID(subject)!, audit: event)
    }

}
