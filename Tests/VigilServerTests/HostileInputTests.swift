import Foundation
import HTTPTypes
import SQLKit
import Synchronization
import Testing
import VigilAnalytics
import VigilCore
import VigilServer
import VigilStorage

/// Inputs a hostile client sends, over HTTP on a real database: each is a clear 4xx and the server
/// keeps answering.
@Suite("Hostile input over HTTP", .serialized)
struct HostileInputTests {
    @Test("actigraphy settings out of range are a 400 naming the setting, on the report and the actogram", arguments: Backend.all)
    func actigraphySettings(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            try await ActigraphyEndpointTests.ingestDays(app, subject: subject, token: token, days: 2)
            for route in ["actigraphy", "actigraphy/actogram.svg"] {
                for range in ActigraphySettings.ranges {
                    let edge = range.name == "sadeh_weights" ? "1,1,1" : "1e300"
                    let values = route == "actigraphy" ? [edge, "-1e300", "1e18", "NaN", "-Infinity", "\(range.upper * 10 + 1)"] : [edge]
                    for bad in values {
                        let value = range.name == "sadeh_weights" && bad != edge ? "1,1,1,\(bad)" : bad
                        let response = try await app.get("/v1/subjects/\(subject)/\(route)?\(range.name)=\(value)", token: token)
                        #expect(response.status == .badRequest, "\(route) \(range.name)=\(value)")
                        let error = try response.apiError()
                        #expect(error.code == "invalid_parameter")
                        #expect(error.details.first?["field"] as? String == range.name, "\(range.name)=\(value): \(error.message)")
                    }
                }
                // The upper bound itself is valid: the analysis runs (200) or reports too little data (422), never
                // 400 (every bound is checked in the unit tests; here the ones that size windows).
                for range in ActigraphySettings.ranges
                where ["l5_hours", "roenneberg.trend_hours", "roenneberg.max_test_hours"].contains(range.name) {
                    let status = try await app.get("/v1/subjects/\(subject)/\(route)?\(range.name)=\(range.upper)", token: token).status
                    #expect(status == .ok || status == .unprocessableContent, "\(route) \(range.name)=\(range.upper)")
                }
            }
            let wide = try await app.get(
                "/v1/subjects/\(subject)/actigraphy?from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", token: token)
            #expect(wide.status == .badRequest)
            #expect(try await app.get("/v1/subjects/\(subject)/actigraphy", token: token).status == .ok)
        }
    }

    @Test("stored epochs spanning more than two years are refused before any work", arguments: Backend.all)
    func calendarBound(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            // Two day-long epochs 800 days apart: few epochs, but a window no analysis should lay out.
            let samples = [0, 800].map { day in
                Sample(
                    uuid: UUID().uuidString, type: .activityCount,
                    start: Timestamp(microseconds: 1_700_000_000_000_000 + Int64(day) * 86_400_000_000, offsetSeconds: 0),
                    endMicroseconds: 1_700_000_000_000_000 + Int64(day + 1) * 86_400_000_000, value: 10, unit: "count")
            }
            let event = AuditEvent(
                organization: "default", actor: .init(username: subject), action: .sampleWrite, resourceType: "Observation",
                subject: subject, recordCount: samples.count, outcome: .success, occurredAt: 1_700_000_000_000_000,
                origin: .init(requestID: "test-seed-\(UUID().uuidString)"))
            _ = try await app.store.samples.insert(samples, subject: SubjectID(subject)!, audit: event)
            for route in ["actigraphy", "actigraphy/actogram.svg"] {
                let response = try await app.get("/v1/subjects/\(subject)/\(route)", token: token)
                #expect(response.status == .unprocessableContent)
                #expect(try response.apiError().code == "window_too_large")
            }
        }
    }

    @Test("analysis jobs with invalid options are refused at submission and never stored", arguments: Backend.all)
    func jobOptions(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, token) = try await app.patient()
            let bodies = [
                #"{"kind":"actigraphy_report","options":{"roenneberg":{"trend_hours":1e300}}}"#,
                #"{"kind":"actigraphy_report","options":{"roenneberg":{"bogus":1}}}"#,
                #"{"kind":"actigraphy_report","options":{"l5_hours":-1}}"#,
                #"{"kind":"actigraphy_report","options":{"bogus":true}}"#,
                #"{"kind":"actigraphy_report","options":{"kr_frac":1e308}}"#,
                #"{"kind":"actigraphy_report","from":"2020-01-01T00:00:00Z","to":"2023-01-01T00:00:00Z"}"#,
                #"{"kind":"actigraphy_report","extra":1}"#,
            ]
            for body in bodies {
                let response = try await app.submit(subject, body, token: token)
                #expect(response.status == .unprocessableContent, "\(body)")
                #expect(try response.apiError().code == "validation_failed")
            }
            #expect(try await Self.jobCount(app, requestedBy: subject) == 0)
        }
    }

    @Test("a stored job whose options an older version accepted fails plainly instead of crashing the worker", arguments: Backend.all)
    func poisonedJob(backend: Backend) async throws {
        // A database of its own: on the shared PostgreSQL test database another test's worker could claim the job.
        try await ScratchDatabase.with(backend) { url in try await TestApp.run(backend, url: url) { app in
            let (subject, _) = try await app.patient()
            try await ActigraphyEndpointTests.ingestDays(app, subject: subject, token: "", days: 2)
            let id = UUID().uuidString.lowercased()
            try await Self.insertJob(app, id: id, subject: subject, options: #"{"roenneberg":{"trend_hours":1e300}}"#)
            let job = try await app.waitForJob(id)
            #expect(job.status == .failed)
            #expect(job.failure?.code == "validation_failed")
        } }
    }

    @Test("a job whose worker died on every claim is failed as crashed_repeatedly, not run again", arguments: Backend.all)
    func crashedRepeatedly(backend: Backend) async throws {
        let clock = ManualJobClock()
        try await ScratchDatabase.with(backend) { url in try await TestApp.run(
            backend, url: url, configure: AnalysisJobTests.settings(attempts: 3), analysis: AnalysisJobTests.runtime(nil, clock)
        ) { app in
            let (subject, _) = try await app.patient()
            let id = UUID().uuidString.lowercased()
            try await Self.insertJob(
                app, id: id, subject: subject, options: "{}", status: "running", attempts: 3, leaseUntil: clock.nowMicros - 1)
            let job = try await app.waitForJob(id, clock: clock)
            #expect(job.status == .failed)
            #expect(job.failure?.code == "crashed_repeatedly")
            #expect(job.attempts == 3)
        } }
    }

    @Test("unfinished jobs are capped per user and per organisation: 429 with Retry-After, nothing stored", arguments: Backend.all)
    func queueCaps(backend: Backend) async throws {
        let organization = "org-\(UUID().uuidString.prefix(8).lowercased())"
        try await TestApp.run(
            backend,
            configure: {
                $0.analysis.queueLimits = JobQueueLimits(perUser: 2, perOrganization: 3)
            }
        ) { app in
            let patient = try await app.addUser(.patient, organization: organization)
            let other = try await app.addUser(.patient, organization: organization)
            let token = try await app.login(patient.name, patient.password).accessToken
            let otherToken = try await app.login(other.name, other.password).accessToken
            for _ in 0..<2 {
                try await Self.insertJob(
                    app, id: UUID().uuidString.lowercased(), subject: patient.name, options: "{}", organization: organization,
                    notBefore: Int64.max / 2)
            }
            let refused = try await app.submit(patient.name, #"{"kind":"actigraphy_report"}"#, token: token)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] != nil)
            #expect(try refused.apiError().code == "too_many_jobs")
            // Another user of the organisation still has room, until the organisation's cap.
            try await Self.insertJob(
                app, id: UUID().uuidString.lowercased(), subject: other.name, options: "{}", organization: organization,
                requestedBy: other.name, notBefore: Int64.max / 2)
            let full = try await app.submit(other.name, #"{"kind":"actigraphy_report"}"#, token: otherToken)
            #expect(full.status == .tooManyRequests)
            #expect(try await Self.jobCount(app, organization: organization) == 3)
        }
    }

    @Test("claims take organisations in turn, and finished jobs past retention are deleted", arguments: Backend.all)
    func fairClaimsAndRetention(backend: Backend) async throws {
        try await ScratchDatabase.with(backend) { url in
            let store = try await VigilStore.open(url: url, logger: .init(label: "test"))
            try await store.withRunning {
                try await store.migrate()
                let app = TestAppStore(store: store)
                // Organisation "busy" has one job running and three older ones queued; "quiet" has one newer job.
                try await app.insert(id: "busy-running", organization: "busy", status: "running", notBefore: 1, leaseUntil: 10_000)
                for index in 0..<3 { try await app.insert(id: "busy-\(index)", organization: "busy", notBefore: 2 + Int64(index)) }
                try await app.insert(id: "quiet-0", organization: "quiet", notBefore: 50)
                let first = try await store.analyses.claimNext(now: 100, owner: "t", leaseUntil: 10_000, maxClaims: 3)
                #expect(first?.id == "quiet-0")
                let second = try await store.analyses.claimNext(now: 100, owner: "t", leaseUntil: 10_000, maxClaims: 3)
                #expect(second?.id == "busy-0")

                try await app.insert(id: "old-done", organization: "quiet", status: "succeeded", notBefore: 1, updatedAt: 1_000)
                try await app.insert(id: "new-done", organization: "quiet", status: "failed", notBefore: 1, updatedAt: 5_000)
                #expect(try await store.analyses.deleteFinished(before: 2_000) == 1)
                #expect(try await store.analyses.job(id: "old-done") == nil)
                #expect(try await store.analyses.job(id: "new-done") != nil)
                #expect(try await store.analyses.job(id: "busy-running") != nil)
            }
        }
    }

    @Test("failed logins impose growing waits per username, known or not; a success clears them", arguments: Backend.all)
    func loginThrottle(backend: Backend) async throws {
        let clock = ManualWallClock()
        try await TestApp.run(backend, configure: { $0.auth.login.freeFailuresPerAccount = 3 }, now: { clock.now }) { app in
            let user = try await app.addUser(.clinician)
            let ghost = "ghost-\(UUID().uuidString.prefix(6).lowercased())"
            for name in [user.name, ghost] {
                for _ in 0..<4 {
                    let response = try await app.post("/v1/auth/token", json: #"{"username":"\#(name)","password":"wrong-password"}"#)
                    #expect(response.status == .unauthorized)
                }
                // The fourth failure imposed a 1 s wait: even the right password is refused until it passes.
                let blocked = try await app.post(
                    "/v1/auth/token", json: #"{"username":"\#(name)","password":"\#(name == user.name ? user.password : "x")"}"#)
                #expect(blocked.status == .tooManyRequests)
                #expect(blocked.headers[.retryAfter] == "1")
                #expect(try blocked.apiError().code == "too_many_attempts")
            }
            clock.advance(seconds: 1)
            // Another failure doubles the wait.
            #expect(try await app.post("/v1/auth/token", json: #"{"username":"\#(user.name)","password":"nope-nope"}"#).status == .unauthorized)
            let doubled = try await app.post("/v1/auth/token", json: #"{"username":"\#(user.name)","password":"\#(user.password)"}"#)
            #expect(doubled.headers[.retryAfter] == "2")
            clock.advance(seconds: 2)
            #expect(try await app.post("/v1/auth/token", json: #"{"username":"\#(user.name)","password":"\#(user.password)"}"#).status == .ok)
            // The success cleared the username's count: three more failures are free again.
            for _ in 0..<3 {
                #expect(try await app.post("/v1/auth/token", json: #"{"username":"\#(user.name)","password":"nope-nope"}"#).status == .unauthorized)
            }
            #expect(try await app.post("/v1/auth/token", json: #"{"username":"\#(user.name)","password":"\#(user.password)"}"#).status == .ok)
        }
    }

    @Test("a login has an absolute lifetime: refreshing cannot extend it", arguments: Backend.all)
    func absoluteLoginLifetime(backend: Backend) async throws {
        let clock = ManualWallClock()
        try await TestApp.run(
            backend,
            configure: {
                $0.auth.refreshTokenSeconds = 3_600
                $0.auth.maxLoginSeconds = 7_200
            }, now: { clock.now }
        ) { app in
            let user = try await app.addUser(.patient)
            var refresh = try await app.login(user.name, user.password).refreshToken
            // Refreshing every 50 minutes keeps the login alive only until two hours after the password.
            for step in 1...3 {
                clock.advance(seconds: 3_000)
                let response = try await app.post("/v1/auth/refresh", json: #"{"refresh_token":"\#(refresh)"}"#)
                if step < 3 {
                    #expect(response.status == .ok, "refresh \(step)")
                    refresh = try JSONDecoder().decode(TokenPair.self, from: Data(buffer: response.body)).refreshToken
                } else {
                    #expect(response.status == .unauthorized, "refresh 150 minutes after login")
                }
            }
            // A new password login starts a new lifetime.
            #expect(try await app.post("/v1/auth/token", json: #"{"username":"\#(user.name)","password":"\#(user.password)"}"#).status == .ok)
        }
    }

    @Test("an admin cannot grant itself access, directly or through a care team it is in", arguments: Backend.all)
    func adminSelfGrant(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (subject, _) = try await app.patient()
            let admin = try await app.addUser(.admin)
            let other = try await app.addUser(.admin)
            let token = try await app.login(admin.name, admin.password).accessToken
            let otherToken = try await app.login(other.name, other.password).accessToken
            let direct = try await app.post(
                "/v1/subjects/\(subject)/grants", json: #"{"grantee":"\#(admin.name)","scope":"read"}"#, token: token)
            #expect(direct.status == .unprocessableContent)
            let selfTeam = try await app.post("/v1/care-teams", json: #"{"name":"mine","members":["\#(admin.name)"]}"#, token: token)
            #expect(selfTeam.status == .unprocessableContent)
            // A team another admin put this admin in: granting it would reach the granting admin.
            let team = try await app.post("/v1/care-teams", json: #"{"name":"theirs","members":["\#(admin.name)"]}"#, token: otherToken)
            #expect(team.status == .created)
            let teamID = try #require(try team.jsonObject()["id"] as? String)
            let viaTeam = try await app.post(
                "/v1/subjects/\(subject)/grants", json: #"{"grantee":"team:\#(teamID)","scope":"read"}"#, token: token)
            #expect(viaTeam.status == .unprocessableContent)
            #expect(try await app.get("/v1/subjects/\(subject)/samples", token: token).status == .notFound)
            // The other admin may grant that team.
            let allowed = try await app.post(
                "/v1/subjects/\(subject)/grants", json: #"{"grantee":"team:\#(teamID)","scope":"read"}"#, token: otherToken)
            #expect(allowed.status == .created)
        }
    }

    @Test("the command line refuses passwords the API would refuse; data files are owner-only")
    func cliPasswordsAndPermissions() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-perm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let dataDir = directory.appendingPathComponent("data").path
        let short = try await VigilBinary.run(
            ["users", "add", "--username", "shorty", "--role", "patient", "--data-dir", dataDir], input: "short\n", captureErrors: true)
        #expect(short.status != 0)
        #expect(short.output.contains("8 to 72 bytes"))
        let added = try await VigilBinary.run(
            ["users", "add", "--username", "longer", "--role", "patient", "--data-dir", dataDir], input: "long enough password\n")
        #expect(added.status == 0)
        func mode(_ path: String) throws -> Int {
            try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        }
        #expect(try mode(dataDir) == 0o700)
        let database = dataDir + "/vigil.sqlite"
        #expect(try mode(database) == 0o600)
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: database + suffix) {
            #expect(try mode(database + suffix) == 0o600, "\(suffix)")
        }
    }
}
