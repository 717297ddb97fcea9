import Foundation
import Testing
import VigilCore

@Suite("Query and pagination")
struct QueryTests {
    @Test("2,500 samples paged with limit 100 and 1000: every sample exactly once, in (start, uuid) order", arguments: Backend.all)
    func pagination(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            // Pairs share a start so the uuid tie-break is exercised.
            let formatter = ISO8601DateFormatter()
            let base = Date(timeIntervalSince1970: 1_795_000_000)
            var sent = [String: String]()
            var batch = [String]()
            for i in 0..<2500 {
                let uuid = UUID().uuidString
                let start = formatter.string(from: base.addingTimeInterval(Double(i / 2) * 30))
                sent[uuid] = start
                let isSteps = i % 3 == 0
                batch.append(
                    SampleJSON.quantity(
                        isSteps ? "step_count" : "heart_rate", Double(60 + i % 40), isSteps ? "count" : "bpm", start: start, uuid: uuid))
            }
            #expect(try await app.post("/v1/subjects/\(subject)/samples", json: SampleJSON.batch(batch), token: token).status == .ok)
            for limit in [100, 1000] {
                var pages = 0
                var seen = [(String, String)]()
                var cursor: String?
                repeat {
                    var path = "/v1/subjects/\(subject)/samples?limit=\(limit)"
                    if let cursor { path += "&cursor=\(cursor)" }
                    let page = try await app.get(path, token: token).jsonObject()
                    let samples = page["samples"] as? [[String: Any]] ?? []
                    #expect(samples.count <= limit)
                    seen += samples.map { ($0["start"] as? String ?? "", $0["uuid"] as? String ?? "") }
                    cursor = page["next_cursor"] as? String
                    pages += 1
                } while cursor != nil
                #expect(pages == (2500 + limit - 1) / limit || pages == 2500 / limit + 1)
                #expect(seen.count == 2500)
                #expect(Set(seen.map(\.1)) == Set(sent.keys))
                let keys = seen.map { (formatter.date(from: $0.0)!, $0.1) }
                #expect(zip(keys, keys.dropFirst()).allSatisfy { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) })
            }
            // type, from (inclusive) and to (exclusive) filter on start.
            let from = formatter.string(from: base.addingTimeInterval(600)).replacingOccurrences(of: "Z", with: "%2B00:00")
            let to = formatter.string(from: base.addingTimeInterval(1200))
            let window = try await app.allSamples(subject, token: token, query: "type=step_count&from=\(from)&to=\(to)&limit=7")
            let expected = sent.filter { uuid, start in
                let date = formatter.date(from: start)!
                return date >= base.addingTimeInterval(600) && date < base.addingTimeInterval(1200)
            }
            #expect(window.allSatisfy { $0["type"] as? String == "step_count" })
            #expect(window.count > 0 && window.count < expected.count)
        }
    }

    @Test("bad parameters are 400: limit 0 or 1001, a cursor reused with other parameters, malformed values", arguments: Backend.all)
    func badParameters(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            let path = "/v1/subjects/\(subject)/samples"
            #expect(try await app.post(path, json: SampleJSON.batch(SampleJSON.heartRates(5)), token: token).status == .ok)
            for query in [
                "limit=0", "limit=1001", "limit=abc", "type=blood_pressure", "from=yesterday", "to=2026-13-01T00:00:00Z",
                "from=2026-11-20T00:00:00Z&to=2026-11-19T00:00:00Z", "cursor=garbage",
            ] {
                let response = try await app.get("\(path)?\(query)", token: token)
                #expect(response.status == .badRequest, "\(query)")
                #expect(try ["invalid_parameter", "invalid_cursor"].contains(response.apiError().code))
            }
            let first = try await app.get("\(path)?limit=2", token: token).jsonObject()
            let cursor = try #require(first["next_cursor"] as? String)
            #expect(try await app.get("\(path)?limit=2&cursor=\(cursor)", token: token).status == .ok)
            for other in ["limit=3", "limit=2&type=heart_rate", "limit=2&from=2026-01-01T00:00:00Z", "limit=2&to=2027-01-01T00:00:00Z"] {
                let response = try await app.get("\(path)?\(other)&cursor=\(cursor)", token: token)
                #expect(response.status == .badRequest, "\(other)")
                #expect(try response.apiError().code == "invalid_cursor")
            }
            let malformedSubject = try await app.get("/v1/subjects/-bad!/samples", token: token)
            #expect(malformedSubject.status == .badRequest)
        }
    }
}
