import Foundation
import HummingbirdTesting
import Synchronization
import Testing
import VigilCore

/// A ``JobClock`` that moves only when a test advances it: sleepers wake when their deadline is passed.
final class ManualJobClock: JobClock {
    private struct Sleeper {
        let id: Int
        let deadline: Int64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Int64
        var nextID = 0
        var sleepers: [Sleeper] = []
        var cancelled: Set<Int> = []
    }

    private let state: Mutex<State>

    init(startMicros: Int64 = 1_800_000_000_000_000) {
        state = Mutex(State(now: startMicros))
    }

    var nowMicros: Int64 { state.withLock { $0.now } }

    /// How many are asleep right now.
    var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    func sleep(forMicros micros: Int64) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: (any Error)?? = state.withLock { state in
                    if state.cancelled.remove(id) != nil { return .some(CancellationError()) }
                    if micros <= 0 { return .some(nil) }
                    state.sleepers.append(Sleeper(id: id, deadline: state.now + micros, continuation: continuation))
                    return .none
                }
                switch resumeNow {
                case .some(let error?): continuation.resume(throwing: error)
                case .some(nil): continuation.resume()
                case .none: break
                }
            }
        } onCancel: {
            let sleeper: Sleeper? = state.withLock { state in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    func advance(byMicros micros: Int64) {
        let due: [Sleeper] = state.withLock { state in
            state.now += micros
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}

/// Test models: a fixed embedding, optionally failing or hanging (until cancelled), counting calls.
final class ScriptedModel: EmbeddingModel {
    enum Behaviour: Sendable {
        case answer, fail, hang
    }

    private let state: Mutex<(behaviour: Behaviour, calls: Int)>

    init(_ behaviour: Behaviour) {
        state = Mutex((behaviour, 0))
    }

    var variantName: String { "PAT-TEST" }
    var calls: Int { state.withLock { $0.calls } }

    func set(_ behaviour: Behaviour) {
        state.withLock { $0.behaviour = behaviour }
    }

    struct InjectedFailure: Error {}

    func embed(_ input: [Float]) async throws -> [Float] {
        let behaviour = state.withLock { state in
            state.calls += 1
            return state.behaviour
        }
        switch behaviour {
        case .answer: return (0..<96).map { Float($0) / 96 }
        case .fail: throw InjectedFailure()
        case .hang:
            try await Task.sleep(for: .seconds(3600))
            return []
        }
    }
}

extension TestApp {
    /// Waits (advancing `clock` one second at a time when given) until the job leaves `queued`/`running`
    /// or has `attempts` runs; gives up after 60 s of real time.
    func waitForJob(
        _ id: String, clock: ManualJobClock? = nil,
        until done: @Sendable (AnalysisJob) -> Bool = { $0.status == .succeeded || $0.status == .failed }
    ) async throws -> AnalysisJob {
        let started = ContinuousClock.now
        while true {
            let job = try #require(try await store.analyses.job(id: id))
            if done(job) { return job }
            guard ContinuousClock.now - started < .seconds(60) else {
                Issue.record("job \(id) still \(job.status.rawValue) after \(job.attempts) attempts")
                return job
            }
            clock?.advance(byMicros: 1_000_000)
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Submits an analysis and returns the response.
    func submit(_ subject: String, _ body: String, token: String) async throws -> TestResponse {
        try await post("/v1/subjects/\(subject)/analyses", json: body, token: token)
    }
}
