import Foundation
import PropertyBased
import Testing

@testable import VigilCore

@Suite("JSONParser")
struct JSONParserTests {
    @Test("parses every JSON kind, integers exactly")
    func kinds() throws {
        let value = try JSONParser.parse(
            Array(#" {"a": [1, -2.5, 1e3, true, false, null, "x\"\u00e9\ud83d\ude00\n"], "big": 9223372036854775807, "o": {}} "#.utf8))
        #expect(value["a"] == .array([.integer(1), .number(-2.5), .number(1000), .bool(true), .bool(false), .null, .string("x\"é😀\n")]))
        #expect(value["big"] == .integer(Int64.max))
        #expect(value["o"] == .object([:]))
    }

    @Test(
        "reports where parsing failed",
        arguments: [
            ("{\"a\": }", "line 1, column 7"),
            ("{\n  \"a\": 1,\n  \"b\" 2}", "line 3, column 7"),
            ("[1, 2", "end of input"),
            ("{\"a\": 01}", "leading zeros"),
            ("{\"a\": \"\u{01}\"}", "control character"),
            ("[1] x", "after the JSON value"),
            ("{\"a\": tru}", "invalid literal"),
            ("\"\\ud800\"", "surrogate"),
            ("", "end of input"),
        ])
    func errors(text: String, expected: String) {
        do {
            _ = try JSONParser.parse(Array(text.utf8))
            Issue.record("parsed invalid JSON: \(text)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    @Test("deep nesting is refused instead of overflowing the stack")
    func depth() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array(deep.utf8)) }
    }

    @Test("agrees with Foundation on what it parses, and canonical output parses back to the same value")
    func agreesWithFoundation() async {
        let strings = Gen.letterOrNumber.string(of: 0...8)
        await propertyCheck(count: 200, input: strings.array(of: 0...6), Gen.int64(in: -1_000_000...1_000_000), Gen.double(in: -1e6...1e6))
        { keys, int, double in
            let object: JSONValue = .object(
                Dictionary(
                    keys.enumerated().map { ($1, $0 % 2 == 0 ? .integer(int) : .array([.number(double), .string($1)])) },
                    uniquingKeysWith: { a, _ in a }))
            let text = object.canonicalJSON
            let parsed = try? JSONParser.parse(Array(text.utf8))
            #expect(parsed?.canonicalJSON == text)
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil)
        }
    }
}

@Suite("AuditChain")
struct AuditChainTests {
    @Test("the canonical encoding is the sorted-key compact JSON of the event's fields")
    func canonicalEncodingIsCanonicalJSON() throws {
        let event = AuditEvent(
            organization: "org \"1\"",
            actor: .init(userID: "u-1", username: "dr-x", role: nil),
            action: .sampleRead,
            resourceType: "Observation",
            subject: "alice",
            recordCount: 12,
            outcome: .denied,
            occurredAt: 1_795_000_000_123_456,
            origin: .init(requestID: "r-1", clientAddress: "10.0.0.1", userAgent: "agent\n2")
        )
        let encoded = AuditChain.canonicalEncoding(event, sequence: 42)
        let parsed = try JSONParser.parse(encoded)
        #expect(parsed.canonicalJSON == String(decoding: encoded, as: UTF8.self))
        #expect(parsed["sequence"] == .integer(42))
        #expect(parsed["actor_role"] == .null)
        #expect(parsed["organization"] == .string("org \"1\""))
        #expect(parsed["user_agent"] == .string("agent\n2"))
    }

    @Test("the chain hash is byte-identical to the one stored chains were written with")
    func hashIsStable() {
        // Expected value from an independent encoder (Python's json.dumps, sorted keys, compact, no ASCII escaping).
        let event = AuditEvent(
            organization: "org \"1\" \\ é",
            actor: .init(userID: "u-1", username: "dr-ü😀", role: nil),
            action: .sampleRead,
            resourceType: "Observation",
            subject: nil,
            recordCount: 0,
            outcome: .denied,
            occurredAt: -1_795_000_000_123_456,
            origin: .init(requestID: "r\t1\u{01}", clientAddress: nil, userAgent: "agent\n2\r")
        )
        #expect(
            AuditChain.hash(event, sequence: Int64.max, previousHash: AuditChain.genesis)
                == "b436f31b513a917d14becf37a63707e8ab58d5eb5af2e747c86ea84eb9680e2a")
        let chained = AuditChain.link([event], after: (Int64.max - 1, AuditChain.genesis))
        #expect(chained[0].hash == "b436f31b513a917d14becf37a63707e8ab58d5eb5af2e747c86ea84eb9680e2a")
        #expect(AuditChain.contentMatches(chained) == [true])
        var edited = chained[0]
        edited.hash = edited.hash.uppercased()
        #expect(AuditChain.contentMatches([edited]) == [false])
    }

    @Test("linking then verifying a chain finds no break; any change to an event is found")
    func linkAndVerify() {
        let events = (0..<20).map { i in
            AuditEvent(
                organization: "o",
                actor: .init(username: "u\(i)"),
                action: .sampleWrite,
                resourceType: "Observation",
                recordCount: i,
                outcome: .success,
                occurredAt: Int64(i),
                origin: .init(requestID: "r\(i)")
            )
        }
        let chained = AuditChain.link(events, after: (0, AuditChain.genesis))
        var verifier = AuditChainVerifier(organization: "o")
        chained.forEach { verifier.consume($0) }
        verifier.finish(recordedHead: (20, chained[19].hash))
        #expect(verifier.firstBreak == nil)
        #expect(verifier.count == 20)

        var edited = chained
        edited[7].event.recordCount += 1
        var second = AuditChainVerifier(organization: "o")
        edited.forEach { second.consume($0) }
        #expect(second.firstBreak?.sequence == 8)
    }
}
