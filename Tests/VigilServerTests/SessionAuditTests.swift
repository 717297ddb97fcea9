import Foundation
import SQLKit
import Testing
import VigilCore
import VigilStorage

/// Realtime sessions leave the same trail as sample reads and writes: a join's event is committed before
/// the history is sent, and each chat message's event in the message's own transaction.
@Suite("Realtime session audit", .serialized)
struct SessionAuditTests {
    /// Makes the database refuse audit events of `action` about `subject` (the audit trail is "down" for them)
    /// while `body` runs; on PostgreSQL the trigger is dropped again, as the test database is shared.
    static func refusingAudit<T: Sendable>(
        _ app: TestApp, action: AuditEvent.Action, subject: String, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        let name = "refuse_" + subject.replacingOccurrences(of: "-", with: "_")
        let condition = "NEW.action = '\(action.rawValue)' AND NEW.subject = '\(subject)'"
        let statements: [String]
        switch app.store.driver.engine {
        case .sqlite:
            statements = [
                "CREATE TRIGGER \(name) BEFORE INSERT ON audit_events WHEN \(condition) BEGIN SELECT RAISE(ABORT, 'audit down'); END"
            ]
        case .postgres:
            statements = [
                "CREATE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit down'; END $$",
                "CREATE TRIGGER \(name) BEFORE INSERT ON audit_events FOR EACH ROW WHEN (\(condition)) EXECUTE FUNCTION \(name)()",
            ]
        }
        try await app.store.driver.write { db in
            for statement in statements { try await db.raw(SQLQueryString(statement)).run() }
        }
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        let drops =
            app.store.driver.engine == .postgres
            ? ["DROP TRIGGER \(name) ON audit_events", "DROP FUNCTION \(name)()"] : ["DROP TRIGGER \(name)"]
        try await app.store.driver.write { db in
            for statement in drops { try await db.raw(SQLQueryString(statement)).run() }
        }
        return try result.get()
    }

    static func events(_ app: TestApp, _ action: AuditEvent.Action, subject: String) async throws -> [AuditEvent] {
        var query = AuditQuery(organization: "default", limit: 1_000)
        query.subject = subject
        query.action = action
        return try await app.store.audit.events(query).map(\.event)
    }

    static func messages(_ probe: StreamProbe) -> [String] {
        probe.sessionEvents().filter { $0["event"] as? String == "message" }.compactMap { $0["text"] as? String }
    }

    static func error(_ probe: StreamProbe) -> String? { errors(probe).first }

    static func errors(_ probe: StreamProbe) -> [String] {
        probe.messages.filter { $0["type"] as? String == "error" }.compactMap { $0["code"] as? String }
    }

    @Test("a join whose audit event cannot be committed is sent no history; once it can, the event counts what is sent",
          arguments: Backend.all)
    func joinAuditedBeforeHistory(backend: Backend) async throws {
        try await TestApp.run(backend, testing: .live) { app in
            let (patient, token) = try await app.patient()
            let session = "\(patient):visit"
            try await app.stream(token: token, until: { Self.messages($0).count == 2 }) { send, probe in
                try await send(#"{"type":"session.join","session":"\#(session)"}"#)
                try await probe.wait("the join") { $0.has("joined") }
                try await send(#"{"type":"text","session":"\#(session)","text":"one"}"#)
                try await send(#"{"type":"text","session":"\#(session)","text":"two"}"#)
            }
            let refused = try await Self.refusingAudit(app, action: .sessionJoin, subject: patient) {
                try await app.stream(token: token, until: { Self.error($0) != nil }) { send, _ in
                    try await send(#"{"type":"session.join","session":"\#(session)","id":"j"}"#)
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(Self.error(refused) == "internal")
            #expect(Self.messages(refused).isEmpty, "history sent before its audit event was committed: \(refused.messages)")
            #expect(try await Self.events(app, .sessionJoin, subject: patient).map(\.recordCount) == [0])
            let joined = try await app.stream(token: token, until: { Self.messages($0).count == 2 }) { send, _ in
                try await send(#"{"type":"session.join","session":"\#(session)","id":"j"}"#)
            }
            #expect(Self.messages(joined) == ["one", "two"])
            #expect(try await Self.events(app, .sessionJoin, subject: patient).map(\.recordCount) == [0, 2])
        }
    }

    @Test("each chat message is audited in its own transaction: no event, no message", arguments: Backend.all)
    func chatMessagesAudited(backend: Backend) async throws {
        try await TestApp.run(backend, testing: .live) { app in
            let (patient, token) = try await app.patient()
            let session = "\(patient):chat"
            let probe = try await app.stream(token: token, until: { Self.errors($0).count == 2 }) { send, probe in
                try await send(#"{"type":"session.join","session":"\#(session)"}"#)
                try await probe.wait("the join") { $0.has("joined") }
                try await send(#"{"type":"text","session":"\#(session)","text":"one"}"#)
                try await send(#"{"type":"text","session":"\#(session)","text":"two"}"#)
                try await probe.wait("both messages") { Self.messages($0).count == 2 }
                try await Self.refusingAudit(app, action: .sessionMessage, subject: patient) {
                    try await send(#"{"type":"text","session":"\#(session)","text":"unaudited","id":"t"}"#)
                    try await probe.wait("the refusal") { Self.error($0) != nil }
                }
                // A refused message leaves an error event, like a refused sample write.
                try await send(#"{"type":"text","session":"\#(patient):elsewhere","text":"not joined","id":"u"}"#)
                try await probe.wait("the second refusal") { Self.errors($0).count == 2 }
            }
            #expect(Self.errors(probe) == ["internal", "not_in_session"])
            #expect(Self.messages(probe) == ["one", "two"])
            let events = try await Self.events(app, .sessionMessage, subject: patient)
            #expect(events.map(\.recordCount) == [1, 1, 0])
            #expect(events.map(\.outcome) == [.success, .success, .error])
            #expect(events.allSatisfy { $0.resourceType == "Communication" && $0.actor.username == patient })
            // The refused message was not stored: a late joiner gets the two audited ones.
            let late = try await app.stream(token: token, until: { Self.messages($0).count >= 2 }) { send, _ in
                try await send(#"{"type":"session.join","session":"\#(session)"}"#)
            }
            try await Task.sleep(for: .milliseconds(100))
            #expect(Self.messages(late) == ["one", "two"])
        }
    }
}
