import Foundation
import Testing
import VigilCore

@Suite("Ingestion")
struct IngestTests {
    @Test("a batch of 1,000 with one invalid sample at the end stores nothing and lists it", arguments: Backend.all)
    func atomicity(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            var samples = SampleJSON.heartRates(999)
            samples.append(SampleJSON.quantity("heart_rate", 301, "count/min"))
            let response = try await app.post("/v1/subjects/\(subject)/samples", json: SampleJSON.batch(samples), token: token)
            #expect(response.status == .unprocessableContent)
            let error = try response.apiError()
            #expect(error.message == "1 sample is invalid")
            #expect(error.details.count == 1)
            #expect(error.details.first?["index"] as? Int == 999)
            #expect(error.details.first?["reason"] as? String == "heart_rate must be within 20...300 count/min")
            #expect(try await app.count(subject) == 0)
        }
    }

    @Test("every invalid sample is listed with index, field and reason", arguments: Backend.all)
    func listsEveryProblem(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            let samples = [
                SampleJSON.quantity("heart_rate", 64, "count/min"),
                #"{"type":"heart_rate","start":"2026-11-20T07:15:00Z","value":64,"unit":"bpm"}"#,
                #"{"uuid":"not-a-uuid","type":"heart_rate","start":"yesterday","value":"64","unit":"bpm"}"#,
                #"{"uuid":"\#(UUID().uuidString)","type":"blood_pressure","start":"2026-11-20T07:15:00Z"}"#,
                #"{"uuid":"\#(UUID().uuidString)","type":"step_count","start":"2026-11-20T07:15:00","value":5,"unit":"count"}"#,
                "42",
            ]
            let response = try await app.post("/v1/subjects/\(subject)/samples", json: SampleJSON.batch(samples), token: token)
            #expect(response.status == .unprocessableContent)
            let error = try response.apiError()
            #expect(error.message == "5 samples are invalid")
            let problems = Set(error.details.map { "\($0["index"] as? Int ?? -1):\($0["field"] as? String ?? "")" })
            #expect(problems == ["1:uuid", "2:uuid", "2:start", "2:value", "3:type", "4:start", "5:sample"])
            #expect(try await app.count(subject) == 0)
        }
    }

    @Test("re-sending a batch counts duplicates and stores nothing twice; a changed uuid reuse is a 409", arguments: Backend.all)
    func idempotency(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            let path = "/v1/subjects/\(subject)/samples"
            let samples = SampleJSON.heartRates(50)
            let body = SampleJSON.batch(samples)
            let first = try await app.post(path, json: body, token: token)
            #expect(first.status == .ok)
            #expect(try first.jsonObject()["accepted"] as? Int == 50)
            let second = try await app.post(path, json: body, token: token)
            #expect(second.status == .ok)
            #expect(try second.jsonObject()["accepted"] as? Int == 0)
            #expect(try second.jsonObject()["duplicates"] as? Int == 50)
            #expect(try await app.count(subject) == 50)

            // The same uuid in lower case is the same sample: a duplicate, not a new row.
            let lower = samples[0].replacingOccurrences(of: #""uuid":"[^"]+""#, with: "$0", options: .regularExpression).lowercased()
                .replacingOccurrences(of: "count/min", with: "count/min")
            let lowerResponse = try await app.post(path, json: SampleJSON.batch([lower]), token: token)
            #expect(try lowerResponse.jsonObject()["duplicates"] as? Int == 1)

            // uuid reuse with another value: 409, and the new sample in the same batch is not stored.
            let changed = samples[3].replacingOccurrences(of: #""value":63.0"#, with: #""value":99"#)
            #expect(changed != samples[3])
            let fresh = SampleJSON.quantity("heart_rate", 70, "count/min")
            let conflict = try await app.post(path, json: SampleJSON.batch([fresh, changed]), token: token)
            #expect(conflict.status == .conflict)
            let error = try conflict.apiError()
            #expect(error.code == "conflict")
            #expect(error.details.map { $0["index"] as? Int } == [1])
            #expect(try await app.count(subject) == 50)

            // An identical repeat inside one batch is a duplicate; a changed repeat is a conflict.
            let repeatBody = SampleJSON.batch([fresh, fresh])
            let repeated = try await app.post(path, json: repeatBody, token: token)
            #expect(try repeated.jsonObject()["accepted"] as? Int == 1)
            #expect(try repeated.jsonObject()["duplicates"] as? Int == 1)
            let another = SampleJSON.quantity("heart_rate", 70, "count/min")
            let clash = another.replacingOccurrences(of: #""value":70.0"#, with: #""value":71"#)
            let inBatch = try await app.post(path, json: SampleJSON.batch([another, clash]), token: token)
            #expect(inBatch.status == .conflict)
            #expect(try await app.count(subject) == 51)
        }
    }

    @Test("a sample sent with +09:00 comes back with the same offset; end defaults to start", arguments: Backend.all)
    func localTime(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            let uuid = "6f9619ff-8b86-d011-b42d-00c04fc964ff"
            let body = SampleJSON.batch([
                #"{"uuid":"\#(uuid)","type":"heart_rate","start":"2026-11-20T07:15:00.250+09:00","value":64,"unit":"bpm","source":{"name":"Apple Watch","bundle_id":"com.apple.health","extra":1},"metadata":{"HKMetadataKeyHeartRateMotionContext":1,"nested":{"b":[1,2.5,"x"],"a":null}}}"#,
                #"{"uuid":"\#(UUID().uuidString)","type":"step_count","start":"2026-11-20T07:00:00-03:30","end":"2026-11-20T11:31:00Z","value":120,"unit":"count"}"#,
            ])
            #expect(try await app.post("/v1/subjects/\(subject)/samples", json: body, token: token).status == .ok)
            let samples = try await app.allSamples(subject, token: token)
            let heart = try #require(samples.first { $0["type"] as? String == "heart_rate" })
            #expect(heart["uuid"] as? String == uuid.uppercased())
            #expect(heart["start"] as? String == "2026-11-20T07:15:00.250+09:00")
            #expect(heart["end"] as? String == "2026-11-20T07:15:00.250+09:00")
            #expect(heart["unit"] as? String == "count/min")
            #expect((heart["source"] as? [String: String]) == ["name": "Apple Watch", "bundle_id": "com.apple.health"])
            let metadata = try #require(heart["metadata"] as? [String: Any])
            #expect(metadata["HKMetadataKeyHeartRateMotionContext"] as? Int == 1)
            let steps = try #require(samples.first { $0["type"] as? String == "step_count" })
            #expect(steps["start"] as? String == "2026-11-20T07:00:00-03:30")
            #expect(steps["end"] as? String == "2026-11-20T08:01:00-03:30")
        }
    }

    @Test("limits: 10,001 samples, 8 MiB + 1, metadata over 4 KiB", arguments: Backend.all)
    func limits(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            let path = "/v1/subjects/\(subject)/samples"
            // Too many samples is judged before any sample (these are invalid too).
            let tooMany = SampleJSON.batch(Array(repeating: "{}", count: 10_001))
            let batch = try await app.post(path, json: tooMany, token: token)
            #expect(batch.status == .contentTooLarge)
            #expect(try batch.apiError().code == "batch_too_large")

            var huge = Array(#"{"samples":[],"pad":""#.utf8)
            huge += Array(repeating: UInt8(ascii: "a"), count: 8 * 1024 * 1024 + 1 - huge.count - 2)
            huge += Array(#""}"#.utf8)
            #expect(huge.count == 8 * 1024 * 1024 + 1)
            let body = try await app.post(path, bytes: huge, token: token)
            #expect(body.status == .contentTooLarge)
            #expect(try body.apiError().code == "payload_too_large")

            let bigValue = String(repeating: "x", count: 4096)
            let metadata =
                #"{"uuid":"\#(UUID().uuidString)","type":"heart_rate","start":"2026-11-20T07:15:00Z","value":64,"unit":"bpm","metadata":{"k":"\#(bigValue)"}}"#
            let meta = try await app.post(path, json: SampleJSON.batch([metadata]), token: token)
            #expect(meta.status == .unprocessableContent)
            #expect(try meta.apiError().details.first?["field"] as? String == "metadata")

            let empty = try await app.post(path, json: #"{"samples":[]}"#, token: token)
            #expect(empty.status == .ok)
            #expect(try empty.jsonObject()["accepted"] as? Int == 0)
            let noArray = try await app.post(path, json: #"{"sample":[]}"#, token: token)
            #expect(noArray.status == .unprocessableContent)
            #expect(try await app.count(subject) == 0)
        }
    }
}
