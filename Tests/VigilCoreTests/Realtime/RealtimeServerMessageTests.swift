import Testing

@testable import VigilCore

@Suite("Server message encoding")
struct RealtimeServerMessageTests {
    private static let text = try! ChatText(sanitizing: "say \"hi\"\n\u{2028}")

    @Test(
        "each server message encodes with type first and id last",
        arguments: [
            (RealtimeServerMessage.pong(correlationID: "c1"), #"{"type":"pong","id":"c1"}"#),
            (.pong(correlationID: nil), #"{"type":"pong"}"#),
            (.authenticated(correlationID: "a"), #"{"type":"authenticated","id":"a"}"#),
            (
                .session(session: "s", event: .joined(user: "dr.who"), correlationID: "j"),
                #"{"type":"session","session":"s","event":"joined","user":"dr.who","id":"j"}"#
            ),
            (
                .session(session: "s", event: .left(user: "u"), correlationID: nil),
                #"{"type":"session","session":"s","event":"left","user":"u"}"#
            ),
            (
                .session(
                    session: "s", event: .message(RealtimeSessionMessage(sequence: 3, sender: "u", text: text, sentAt: 1_000)),
                    correlationID: nil),
                #"{"type":"session","session":"s","event":"message","seq":3,"from":"u","text":"say \"hi\"\n\u2028","at":1000}"#
            ),
            (
                .session(session: "s", event: .closed(reason: "expired"), correlationID: nil),
                #"{"type":"session","session":"s","event":"closed","reason":"expired"}"#
            ),
            (
                .error(code: .notFound, message: "no such subject", correlationID: "e"),
                #"{"type":"error","code":"not_found","message":"no such subject","id":"e"}"#
            ),
            (
                .status(subscriptions: ["b", "a"], sessions: [], correlationID: nil),
                #"{"type":"status","subscriptions":["a","b"],"sessions":[]}"#
            ),
            (
                .subscribed(subject: "p1", types: ["spo2", "hr"], correlationID: "s"),
                #"{"type":"subscribed","subject":"p1","types":["hr","spo2"],"id":"s"}"#
            ),
            (.subscribed(subject: "p1", types: nil, correlationID: nil), #"{"type":"subscribed","subject":"p1"}"#),
            (.unsubscribed(subject: "p1", correlationID: "u"), #"{"type":"unsubscribed","subject":"p1","id":"u"}"#),
        ])
    func encoding(message: RealtimeServerMessage, json: String) {
        #expect(String(decoding: message.encoded(), as: UTF8.self) == json)
    }

    @Test("control characters are escaped and the output is valid JSON")
    func escaping() throws {
        let message = RealtimeServerMessage.error(code: .internal, message: "a\u{00}b\u{1F}\\", correlationID: nil)
        let bytes = message.encoded()
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"type":"error","code":"internal","message":"a\u0000b\u001f\\"}"#)
        guard case .object(let fields) = try RealtimeJSONReader.parse(bytes) else { Issue.record("not an object"); return }
        #expect(fields["message"] == .string("a\u{00}b\u{1F}\\"))
    }

    @Test("a protocol error becomes an error message echoing its correlation id")
    func protocolErrorMessage() {
        let error = RealtimeProtocolError.invalidField("since", "must be an integer ≥ 0", correlationID: "q")
        #expect(error.serverMessage == .error(code: .invalidField, message: "since: must be an integer ≥ 0", correlationID: "q"))
    }

    @Test("error and close codes have the documented wire values")
    func wireValues() {
        #expect(
            RealtimeErrorCode.allCases.map(\.rawValue) == [
                "malformed", "unknown_type", "invalid_field", "too_large", "rate_limited", "unauthorized", "auth_timeout", "not_found",
                "forbidden", "session_full", "too_many_sessions", "too_many_subscriptions", "not_in_session", "slow_consumer",
                "server_busy", "cursor_expired", "internal",
            ])
        #expect(RealtimeCloseCode.allCases.map(\.rawValue) == [1000, 1001, 1002, 1007, 1008, 1009, 1011, 4001, 4008, 4029, 4030])
    }
}
