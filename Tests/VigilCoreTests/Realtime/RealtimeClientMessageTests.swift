import Testing

@testable import VigilCore

private func parse(_ text: String, maxBytes: Int = 100 * 1_024) -> Result<RealtimeClientEnvelope, RealtimeProtocolError> {
    RealtimeClientMessage.parse(Array(text.utf8), maxBytes: maxBytes)
}

private func chat(_ text: String) -> ChatText { try! ChatText(sanitizing: text) }

@Suite("Client message parsing")
struct RealtimeClientMessageTests {
    @Test(
        "every message type parses with its fields",
        arguments: [
            (#"{"type":"auth","token":"abc.def.ghi"}"#, RealtimeClientMessage.auth(token: "abc.def.ghi")),
            (#"{"type":"ping"}"#, .ping),
            (#"{"type":"status"}"#, .status),
            (#"{"type":"subscribe","subject":"patient-1"}"#, .subscribe(subject: "patient-1", types: nil, since: nil)),
            (
                #"{"type":"subscribe","subject":"p:1","types":["heart_rate","spo2","heart_rate"],"since":0}"#,
                .subscribe(subject: "p:1", types: ["heart_rate", "spo2"], since: 0)
            ),
            (
                #"{"type":"subscribe","subject":"p1","since":9223372036854775807}"#,
                .subscribe(subject: "p1", types: nil, since: Int64.max)
            ),
            (#"{"type":"unsubscribe","subject":"patient-1"}"#, .unsubscribe(subject: "patient-1")),
            (#"{"type":"session.join","session":"s-1"}"#, .sessionJoin(session: "s-1")),
            (#"{"type":"session.leave","session":"s-1"}"#, .sessionLeave(session: "s-1")),
            (#"{"type":"text","session":"s-1","text":"BP 120/80\nok"}"#, .text(session: "s-1", text: chat("BP 120/80\nok"))),
            (#" { "text" : "h\u00e9 \ud83d\ude00" , "session":"s", "type":"text" } "#, .text(session: "s", text: chat("hé 😀"))),
        ])
    func validMessages(json: String, expected: RealtimeClientMessage) throws {
        let envelope = try parse(json).get()
        #expect(envelope.message == expected)
        #expect(envelope.correlationID == nil)
    }

    @Test("the correlation id is returned with the message")
    func correlationID() throws {
        let envelope = try parse(#"{"type":"ping","id":"req-42"}"#).get()
        #expect(envelope == RealtimeClientEnvelope(correlationID: "req-42", message: .ping))
    }

    @Test(
        "each invalid field is reported by name with the correlation id echoed",
        arguments: [
            (#"{"id":"c","type":"auth"}"#, "token"),
            (#"{"id":"c","type":"auth","token":""}"#, "token"),
            (#"{"id":"c","type":"auth","token":7}"#, "token"),
            (#"{"id":"c","type":"subscribe"}"#, "subject"),
            (#"{"id":"c","type":"subscribe","subject":""}"#, "subject"),
            (#"{"id":"c","type":"subscribe","subject":"a b"}"#, "subject"),
            (#"{"id":"c","type":"subscribe","subject":"\#(String(repeating: "a", count: 129))"}"#, "subject"),
            (#"{"id":"c","type":"subscribe","subject":null}"#, "subject"),
            (#"{"id":"c","type":"subscribe","subject":"p","types":[]}"#, "types"),
            (#"{"id":"c","type":"subscribe","subject":"p","types":"hr"}"#, "types"),
            (#"{"id":"c","type":"subscribe","subject":"p","types":[1]}"#, "types"),
            (#"{"id":"c","type":"subscribe","subject":"p","types":["a/b"]}"#, "types"),
            (#"{"id":"c","type":"subscribe","subject":"p","since":-1}"#, "since"),
            (#"{"id":"c","type":"subscribe","subject":"p","since":1.0}"#, "since"),
            (#"{"id":"c","type":"subscribe","subject":"p","since":1e3}"#, "since"),
            (#"{"id":"c","type":"subscribe","subject":"p","since":"5"}"#, "since"),
            (#"{"id":"c","type":"subscribe","subject":"p","since":9223372036854775808}"#, "since"),
            (#"{"id":"c","type":"subscribe","subject":"p","sinse":5}"#, "sinse"),
            (#"{"id":"c","type":"unsubscribe"}"#, "subject"),
            (#"{"id":"c","type":"unsubscribe","subject":["p"]}"#, "subject"),
            (#"{"id":"c","type":"session.join"}"#, "session"),
            (#"{"id":"c","type":"session.join","session":"é"}"#, "session"),
            (#"{"id":"c","type":"session.leave","session":5}"#, "session"),
            (#"{"id":"c","type":"text","text":"hi"}"#, "session"),
            (#"{"id":"c","type":"text","session":"s"}"#, "text"),
            (#"{"id":"c","type":"text","session":"s","text":" \u0000\n\t "}"#, "text"),
            (#"{"id":"c","type":"text","session":"s","text":"\#(String(repeating: "x", count: 4_001))"}"#, "text"),
            (#"{"id":"c","type":"ping","extra":true}"#, "extra"),
            (#"{"id":"c","type":7}"#, "type"),
            (#"{"id":"c"}"#, "type"),
        ])
    func invalidFields(json: String, field: String) {
        let error = parse(json).failure
        #expect(error?.code == .invalidField)
        #expect(error?.field == field)
        #expect(error?.correlationID == "c")
    }

    @Test(
        "an invalid correlation id is itself an invalid field and is not echoed",
        arguments: [
            #"{"type":"ping","id":""}"#, #"{"type":"ping","id":5}"#, #"{"type":"ping","id":"a b"}"#,
            #"{"type":"ping","id":"\#(String(repeating: "i", count: 65))"}"#,
        ])
    func invalidCorrelationID(json: String) {
        let error = parse(json).failure
        #expect(error == .invalidField("id", "must be 1-64 printable ASCII characters"))
    }

    @Test("an unknown type answers unknown_type with the id", arguments: ["audio", "Ping", "session.kick", ""])
    func unknownType(type: String) {
        let error = parse(#"{"type":"\#(type)","id":"x1"}"#).failure
        #expect(error?.code == .unknownType)
        #expect(error?.correlationID == "x1")
    }

    @Test(
        "malformed frames answer malformed",
        arguments: [
            "", "{", "[]", "\"ping\"", "null", #"{"type":"ping"} x"#, #"{"type":"ping",}"#, #"{'type':'ping'}"#,
            #"{"type":"ping","type":"status"}"#, #"{"type":"p\u12"}"#, #"{"type":"\ud800"}"#, "{\"type\":\"a\u{01}\"}",
            #"{"type":"subscribe","subject":"p","since":01}"#, #"{"a":tru}"#,
            String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
        ])
    func malformed(json: String) {
        #expect(parse(json).failure?.code == .malformed)
    }

    @Test(
        "invalid UTF-8 is malformed",
        arguments: [[0x7B, 0xC0, 0x80, 0x7D], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82]])
    func invalidUTF8(bytes: [UInt8]) {
        #expect(RealtimeClientMessage.parse(bytes, maxBytes: 1_024).failure?.code == .malformed)
    }

    @Test("frames over the limit are too_large before any parsing; at the limit they parse")
    func sizeLimit() throws {
        let json = #"{"type":"ping"}"#
        #expect(parse(json, maxBytes: json.utf8.count - 1).failure?.code == .tooLarge)
        #expect(try parse(json, maxBytes: json.utf8.count).get().message == .ping)
        let huge = #"{"type":"text","session":"s","text":""# + String(repeating: "a", count: 100 * 1_024) + #""}"#
        #expect(parse(huge).failure?.code == .tooLarge)
    }
}

// File-private: these tests will join VigilCoreTests, where a module-wide helper name could collide.
extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
