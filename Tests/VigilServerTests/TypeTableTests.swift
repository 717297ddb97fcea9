import Foundation
import Testing
import VigilCore

/// One row of API.md's type table: edges, out-of-range values, a wrong unit and each conversion.
struct TypeRow: Sendable, CustomTestStringConvertible {
    let type: String
    let unit: String
    let low: Double
    let high: Double
    /// (unit, value sent, canonical value expected)
    let conversions: [(String, Double, Double)]

    var testDescription: String { type }

    static let all: [TypeRow] = [
        TypeRow(type: "heart_rate", unit: "count/min", low: 20, high: 300, conversions: [("bpm", 64, 64)]),
        TypeRow(type: "resting_heart_rate", unit: "count/min", low: 20, high: 250, conversions: [("bpm", 55, 55)]),
        TypeRow(type: "heart_rate_variability_sdnn", unit: "ms", low: 0, high: 500, conversions: [("s", 0.045, 45)]),
        TypeRow(type: "oxygen_saturation", unit: "%", low: 50, high: 100, conversions: [("fraction", 0.97, 97)]),
        TypeRow(type: "respiratory_rate", unit: "count/min", low: 4, high: 60, conversions: []),
        TypeRow(type: "step_count", unit: "count", low: 0, high: 100_000, conversions: []),
        TypeRow(type: "activity_count", unit: "count", low: 0, high: 1_000_000, conversions: []),
        TypeRow(type: "active_energy_burned", unit: "kcal", low: 0, high: 10_000, conversions: [("kJ", 418.4, 100)]),
        TypeRow(type: "body_mass", unit: "kg", low: 1, high: 650, conversions: [("lb", 100, 45.359237)]),
        TypeRow(type: "body_temperature", unit: "degC", low: 30, high: 45, conversions: [("degF", 98.6, 37)]),
        TypeRow(type: "blood_glucose", unit: "mg/dL", low: 10, high: 1000, conversions: [("mmol/L", 5.5, 99.0858)]),
    ]
}

@Suite("Sample type table")
struct TypeTableTests {
    @Test("quantity row: edges accepted, out of range and wrong unit rejected, conversions exact", arguments: Backend.all, TypeRow.all)
    func quantityRow(backend: Backend, row: TypeRow) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            let path = "/v1/subjects/\(subject)/samples"
            // Valid edges, inclusive.
            let edges = try await app.post(
                path,
                json: SampleJSON.batch([
                    SampleJSON.quantity(row.type, row.low, row.unit), SampleJSON.quantity(row.type, row.high, row.unit),
                ]), token: token)
            #expect(edges.status == .ok)
            // Just outside each edge: 422 on `value`, naming the range.
            for outside in [row.low - 0.001, row.high + 0.001] {
                let response = try await app.post(
                    path, json: SampleJSON.batch([SampleJSON.quantity(row.type, outside, row.unit)]), token: token)
                #expect(response.status == .unprocessableContent)
                let error = try response.apiError()
                #expect(error.code == "validation_failed")
                #expect(error.details.first?["field"] as? String == "value")
                #expect(error.details.first?["index"] as? Int == 0)
                #expect((error.details.first?["reason"] as? String)?.contains("must be within") == true)
            }
            // A unit that is not listed for the type (units are case-sensitive).
            for wrong in ["furlongs", row.unit.uppercased() == row.unit ? "x" + row.unit : row.unit.uppercased()] {
                let response = try await app.post(
                    path, json: SampleJSON.batch([SampleJSON.quantity(row.type, row.low, wrong)]), token: token)
                #expect(response.status == .unprocessableContent)
                #expect(try response.apiError().details.first?["field"] as? String == "unit")
            }
            // Each conversion lands on the canonical value and unit.
            for (unit, sent, expected) in row.conversions {
                let uuid = UUID().uuidString
                let response = try await app.post(
                    path,
                    json: SampleJSON.batch([SampleJSON.quantity(row.type, sent, unit, start: "2026-11-21T00:00:00Z", uuid: uuid)]),
                    token: token
                )
                #expect(response.status == .ok)
                let stored = try await app.allSamples(subject, token: token).first { $0["uuid"] as? String == uuid }
                #expect(stored?["unit"] as? String == row.unit)
                #expect(stored?["value"] as? Double == expected)
            }
            #expect(try await app.count(subject) == 2 + row.conversions.count)
        }
    }

    @Test("sleep_analysis: every category accepted; unknown category, value or unit rejected", arguments: Backend.all)
    func sleepRow(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            let path = "/v1/subjects/\(subject)/samples"
            let categories = ["in_bed", "awake", "asleep_unspecified", "asleep_core", "asleep_deep", "asleep_rem"]
            let valid = categories.map {
                #"{"uuid":"\#(UUID().uuidString)","type":"sleep_analysis","start":"2026-11-20T23:00:00+01:00","end":"2026-11-21T00:30:00+01:00","category":"\#($0)"}"#
            }
            #expect(try await app.post(path, json: SampleJSON.batch(valid), token: token).status == .ok)
            let invalid = [
                (
                    #"{"uuid":"\#(UUID().uuidString)","type":"sleep_analysis","start":"2026-11-20T23:00:00Z","category":"napping"}"#,
                    "category"
                ),
                (#"{"uuid":"\#(UUID().uuidString)","type":"sleep_analysis","start":"2026-11-20T23:00:00Z"}"#, "category"),
                (
                    #"{"uuid":"\#(UUID().uuidString)","type":"sleep_analysis","start":"2026-11-20T23:00:00Z","category":"awake","value":1}"#,
                    "value"
                ),
                (
                    #"{"uuid":"\#(UUID().uuidString)","type":"sleep_analysis","start":"2026-11-20T23:00:00Z","category":"awake","unit":"count"}"#,
                    "unit"
                ),
                (
                    #"{"uuid":"\#(UUID().uuidString)","type":"sleep_analysis","start":"2026-11-20T23:00:00Z","end":"2026-11-20T22:00:00Z","category":"awake"}"#,
                    "end"
                ),
            ]
            for (sample, field) in invalid {
                let response = try await app.post(path, json: SampleJSON.batch([sample]), token: token)
                #expect(response.status == .unprocessableContent)
                #expect(try response.apiError().details.map { $0["field"] as? String }.contains(field))
            }
            let stored = try await app.allSamples(subject, token: token)
            #expect(Set(stored.compactMap { $0["category"] as? String }) == Set(categories))
            #expect(stored.allSatisfy { $0["value"] == nil && $0["unit"] == nil })
        }
    }
}
