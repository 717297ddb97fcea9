import Foundation
import SQLKit
import Testing
import VigilCore
import VigilPAT
import VigilServer
import VigilStorage

/// Analysis jobs over HTTP on a real database, with an injected clock and scripted models (no sleeping
/// for timeouts, backoff or the breaker: the test moves the clock).
@Suite("Analysis jobs", .serialized)
struct AnalysisJobTests {
    static let week = #"{"kind":"pat_embedding","from":"2026-11-02T00:00:00+01:00","to":"2026-11-09T00:00:00+01:00"}"#

    static func runtime(_ model: ScriptedModel?, _ clock: ManualJobClock) -> AnalysisRuntime {
        AnalysisRuntime(model: model, clock: clock, random: { 1 })
    }

    /// The tests move the clock a second at a time while jobs run, so the timeout is far beyond the backoff
    /// steps unless a test is about timeouts.
    static func settings(attempts: Int = 3, breaker: Int = 5, timeout: Int = 3600) -> (inout VigilConfig) -> Void {
        { config in
            config.analysis.maxAttempts = attempts
            config.analysis.breakerThreshold = breaker
            config.analysis.breakerCooldownSeconds = 60
            config.analysis.timeoutSeconds = timeout
        }
    }

    @Test("an actigraphy job runs in the background and returns the report; its status is audited", arguments: Backend.all)
    func actigraphyJob(backend: Backend) async throws {
        let clock = ManualJobClock()
        try await ScratchDatabase.with(backend) { url in
            try await TestApp.run(backend, url: url, analysis: Self.runtime(nil, clock)) { app in
                let (subject, token) = try await app.patient()
                try await ActigraphyEndpointTests.ingest(app, subject: subject, token: token, minutes: 3 * 1440)
                let response = try await app.submit(
                    subject, #"{"kind":"actigraphy_report","options":{"include_scoring":true}}"#, token: token)
                #expect(response.status == .accepted)
                let created = try response.jsonObject()
                let id = try #require(created["id"] as? String)
                #expect(created["status"] as? String == "queued")
                #expect(response.headers[.location] == "/v1/analyses/\(id)")
                let job = try await app.waitForJob(id, clock: clock)
                #expect(job.status == .succeeded)
                let status = try await app.get("/v1/analyses/\(id)", token: token)
                let body = try status.jsonObject()
                #expect(body["status"] as? String == "succeeded")
                let result = try #require(body["result"] as? [String: Any])
                let direct = try await app.get("/v1/subjects/\(subject)/actigraphy?include=scoring", token: token).jsonObject()
                #expect(
                    NSDictionary(dictionary: result["metrics"] as? [String: Any] ?? [:])
                        == NSDictionary(dictionary: direct["metrics"] as? [String: Any] ?? [:]))
                #expect((result["scoring"] as? [String: Any])?.count == 5)
                #expect(body["error"] is NSNull)
            }
        }
    }

    @Test("submissions are validated, and refused plainly without a model", arguments: Backend.all)
    func validation(backend: Backend) async throws {
        try await TestApp.run(backend, analysis: Self.runtime(nil, ManualJobClock())) { app in
            let (subject, token) = try await app.patient()
            let noModel = try await app.submit(subject, Self.week, token: token)
            #expect(noModel.status == .conflict)
            let error = try noModel.apiError()
            #expect(error.code == "model_not_configured")
            #expect(error.message.contains("VIGIL_PAT_MODEL"))
            for body in [
                #"{"kind":"horoscope"}"#, #"{"kind":"actigraphy_report","from":"monday"}"#,
                #"{"kind":"actigraphy_report","options":{"colour":"blue"}}"#, #"{"kind":"actigraphy_report","options":[]}"#,
            ] {
                #expect(try await app.submit(subject, body, token: token).status == .unprocessableContent, "\(body)")
            }
            let clinician = try await app.addUser(.clinician)
            let other = try await app.login(clinician.name, clinician.password).accessToken
            #expect(try await app.submit(subject, #"{"kind":"actigraphy_report"}"#, token: other).status == .notFound)
            let id = try #require(
                try await app.submit(subject, #"{"kind":"actigraphy_report"}"#, token: token).jsonObject()["id"] as? String)
            // A job of a subject the caller may not read: the same 404 as an unknown id.
            let hidden = try await app.get("/v1/analyses/\(id)", token: other)
            let unknown = try await app.get("/v1/analyses/\(UUID().uuidString.lowercased())", token: other)
            #expect(hidden.status == .notFound && unknown.status == .notFound)
            #expect(try hidden.apiError().message == unknown.apiError().message)
        }
    }

    @Test("a PAT job embeds a stored week", arguments: Backend.all)
    func patJob(backend: Backend) async throws {
        let clock = ManualJobClock()
        let model = ScriptedModel(.answer)
        try await ScratchDatabase.with(backend) { url in
            try await TestApp.run(backend, url: url, analysis: Self.runtime(model, clock)) { app in
                let (subject, token) = try await app.patient()
                try await ActigraphyEndpointTests.ingest(app, subject: subject, token: token, minutes: 7 * 1440)
                let id = try #require(try await app.submit(subject, Self.week, token: token).jsonObject()["id"] as? String)
                let job = try await app.waitForJob(id, clock: clock)
                #expect(job.status == .succeeded)
                let result = try #require(try await app.get("/v1/analyses/\(id)", token: token).jsonObject()["result"] as? [String: Any])
                #expect((result["embedding"] as? [Double])?.count == 96)
                #expect(result["model"] as? String == "PAT-TEST")
                #expect(result["missing_minutes"] as? Int == 0)
            }
        }
    }

    @Test("a model that throws is retried with backoff, then the job fails with the error recorded", arguments: Backend.all)
    func retriesThenFails(backend: Backend) async throws {
        let clock = ManualJobClock()
        let model = ScriptedModel(.fail)
        try await ScratchDatabase.with(backend) { url in
            try await TestApp.run(backend, url: url, configure: Self.settings(attempts: 3), analysis: Self.runtime(model, clock)) { app in
                let (subject, token) = try await app.patient()
                try await ActigraphyEndpointTests.ingest(app, subject: subject, token: token, minutes: 7 * 1440)
                let id = try #require(try await app.submit(subject, Self.week, token: token).jsonObject()["id"] as? String)
                // First attempt fails at once; the job waits for its backoff (2 s at most, jitter 1 → exactly 2 s) without the clock moving.
                let waiting = try await app.waitForJob(id, until: { $0.status == .queued && $0.attempts == 1 })
                #expect(waiting.failure?.code == "model_error")
                #expect(waiting.notBefore == clock.nowMicros + 2_000_000)
                let job = try await app.waitForJob(id, clock: clock)
                #expect(job.status == .failed)
                #expect(job.attempts == 3)
                #expect(model.calls == 3)
                let admin = try await app.addUser(.admin)
                let stats = try await app.get("/v1/admin/analyses", token: try await app.login(admin.name, admin.password).accessToken)
                let counters = try stats.jsonObject()
                #expect(counters["retried"] as? Int == 2)
                #expect(counters["failed"] as? Int == 1)
                #expect(counters["model"] as? String == "PAT-TEST")
                let body = try await app.get("/v1/analyses/\(id)", token: token).jsonObject()
                #expect((body["error"] as? [String: Any])?["code"] as? String == "model_error")
                #expect(body["result"] is NSNull)
            }
        }
    }

    @Test("a model slower than the timeout fails the job with a timeout", arguments: Backend.all)
    func timeout(backend: Backend) async throws {
        let clock = ManualJobClock()
        let model = ScriptedModel(.hang)
        try await ScratchDatabase.with(backend) { url in
            try await TestApp.run(
                backend, url: url, configure: Self.settings(attempts: 1, timeout: 30), analysis: Self.runtime(model, clock)
            ) { app in
                let (subject, token) = try await app.patient()
                try await ActigraphyEndpointTests.ingest(app, subject: subject, token: token, minutes: 7 * 1440)
                let id = try #require(try await app.submit(subject, Self.week, token: token).jsonObject()["id"] as? String)
                let running = try await app.waitForJob(id, until: { $0.status == .running })
                #expect(running.attempts == 1)
                let job = try await app.waitForJob(id, clock: clock)
                #expect(job.status == .failed)
                #expect(job.failure?.code == "timeout")
            }
        }
    }

    @Test(
        "the breaker opens after N model failures, answers 503 with Retry-After, half-opens and closes after a success",
        arguments: Backend.all)
    func breaker(backend: Backend) async throws {
        let clock = ManualJobClock()
        let model = ScriptedModel(.fail)
        try await ScratchDatabase.with(backend) { url in
            try await TestApp.run(
                backend, url: url, configure: Self.settings(attempts: 1, breaker: 2), analysis: Self.runtime(model, clock)
            ) {
                app in
                let (subject, token) = try await app.patient()
                try await ActigraphyEndpointTests.ingest(app, subject: subject, token: token, minutes: 7 * 1440)
                for _ in 0..<2 {
                    let id = try #require(try await app.submit(subject, Self.week, token: token).jsonObject()["id"] as? String)
                    #expect(try await app.waitForJob(id).status == .failed)
                }
                let refused = try await app.submit(subject, Self.week, token: token)
                #expect(refused.status == .serviceUnavailable)
                #expect(try refused.apiError().code == "model_unavailable")
                #expect(refused.headers[.retryAfter] == "60")
                // Other analyses still run while the model's breaker is open.
                #expect(try await app.submit(subject, #"{"kind":"actigraphy_report"}"#, token: token).status == .accepted)
                clock.advance(byMicros: 61_000_000)
                model.set(.answer)
                let probe = try await app.submit(subject, Self.week, token: token)
                #expect(probe.status == .accepted)
                let id = try #require(try probe.jsonObject()["id"] as? String)
                #expect(try await app.waitForJob(id).status == .succeeded)
                #expect(try await app.submit(subject, Self.week, token: token).status == .accepted)
            }
        }
    }

    @Test("a job whose process died while running is resumed after a restart", arguments: Backend.all)
    func resume(backend: Backend) async throws {
        let clock = ManualJobClock()
        try await ScratchDatabase.with(backend) { url in
            let (subject, token, id) = try await TestApp.run(backend, url: url, analysis: Self.runtime(nil, clock)) { app in
                let (subject, token) = try await app.patient()
                try await ActigraphyEndpointTests.ingest(app, subject: subject, token: token, minutes: 2 * 1440)
                // The job is claimed by a process that then dies: it stays `running` under a lease that nobody renews.
                let created = try await app.submit(subject, #"{"kind":"actigraphy_report"}"#, token: token)
                let id = try #require(try created.jsonObject()["id"] as? String)
                return (subject, token, id)
            }
            // Make the first run's outcome look like a crash mid-job: running, leased to a dead node.
            let store = try await VigilStore.open(url: url, logger: .init(label: "test"))
            try await store.withRunning {
                try await store.driver.write { db in
                    try await db.raw(
                        "UPDATE analysis_jobs SET status = 'running', result = NULL, lease_owner = 'dead-node', lease_until = \(bind: clock.nowMicros + 1_000_000) WHERE id = \(bind: id)"
                    ).run()
                }
            }
            try await TestApp.run(backend, url: url, analysis: Self.runtime(nil, clock)) { app in
                let job = try await app.waitForJob(id, clock: clock)
                #expect(job.status == .succeeded)
                #expect(job.result?["metrics"] != nil)
                let body = try await app.get("/v1/analyses/\(id)", token: token).jsonObject()
                #expect(body["status"] as? String == "succeeded")
                #expect(body["subject"] as? String == subject)
            }
        }
    }
}
