import Foundation
import PropertyBased
import Testing
import VigilAnalytics
@testable import VigilCore

/// Pure-code defences against hostile input: parsers, settings ranges, conversions that must not trap.
@Suite("Hostile input (pure code)")
struct HostileInputUnitTests {
    @Test("a string of 300,000 escapes parses to the right text (the escape buffer grows in place)")
    func manyEscapes() throws {
        let body = "\"" + String(repeating: "\\n", count: 300_000) + "x\\u00e9\\ud83d\\ude00\""
        let value = try JSONParser.parse(Array(body.utf8))
        guard case .string(let text) = value else {
            Issue.record("not a string")
            return
        }
        #expect(text.utf8.count == 300_000 + 1 + 2 + 4)
        #expect(text.hasSuffix("xé😀"))
        #expect(text.prefix(3) == "\n\n\n")
    }

    @Test("escapes of every UTF-8 length decode to the same scalars as Foundation reads")
    func escapeLengths() throws {
        for scalar: UInt32 in [0x24, 0x7F, 0x80, 0x7FF, 0x800, 0xFFFD, 0xFFFF] {
            let escaped = "\"a\\u" + String(format: "%04x", scalar) + "b\""
            let parsed = try JSONParser.parse(Array(escaped.utf8))
            #expect(parsed == .string("a" + String(Unicode.Scalar(scalar)!) + "b"), "\(scalar)")
        }
    }

    @Test("numbers longer than 400 characters are refused; long but valid ones still parse")
    func longNumbers() throws {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array(String(repeating: "9", count: 401).utf8)) }
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array(("[1." + String(repeating: "0", count: 1_000_000) + "]").utf8)) }
        let long = "0." + String(repeating: "0", count: 390) + "1"
        #expect(try JSONParser.parse(Array(long.utf8)) == .number(Double(long)!))
        #expect(try JSONParser.parse(Array("1e999999".utf8)) == .number(.infinity))
    }

    @Test("random bytes never crash the parser", .tags(.fuzz))
    func randomBytes() async {
        await propertyCheck(count: 2_000, input: Gen.uint8().array(of: 0...64)) { (bytes: [UInt8]) in
            _ = try? JSONParser.parse(bytes)
        }
    }

    @Test("every actigraphy setting refuses values beyond its range, at both ends, and NaN")
    func settingRanges() {
        #expect(ActigraphySettings().rangeProblems.isEmpty)
        for range in ActigraphySettings.ranges {
            for bad in [range.upper.nextUp, range.upper * 2 + 1, 1e300, -1e300, .nan, .infinity, -.infinity, range.lower - 1] {
                var settings = ActigraphySettings()
                Self.set(&settings, range.name, bad)
                #expect(settings.rangeProblems.map(\.name) == [range.name], "\(range.name) = \(bad)")
            }
            for good in [range.upper, range.lowerInclusive ? range.lower : range.lower.nextUp] {
                var settings = ActigraphySettings()
                Self.set(&settings, range.name, good)
                #expect(settings.rangeProblems.isEmpty, "\(range.name) = \(good)")
            }
        }
        // No setting accepts a magnitude of 10^18 or more.
        #expect(ActigraphySettings.ranges.allSatisfy { abs($0.lower) < 1e18 && abs($0.upper) < 1e18 })
    }

    static func set(_ settings: inout ActigraphySettings, _ name: String, _ value: Double) {
        switch name {
        case "binarization_threshold": settings.binarizationThreshold = value
        case "l5_hours": settings.l5Hours = value
        case "m10_hours": settings.m10Hours = value
        case "cole_kripke_threshold": settings.coleKripkeThreshold = value
        case "sadeh_offset": settings.sadehOffset = value
        case "sadeh_weights": settings.sadehWeights[2] = value
        case "sadeh_threshold": settings.sadehThreshold = value
        case "scripps_scale": settings.scrippsScale = value
        case "scripps_threshold": settings.scrippsThreshold = value
        case "oakley_threshold": settings.oakleyThreshold = .fixed(value)
        case "kr_frac": settings.krFrac = value
        case "roenneberg.trend_hours": settings.roenneberg.trendHours = value
        case "roenneberg.min_trend_hours": settings.roenneberg.minTrendHours = value
        case "roenneberg.threshold": settings.roenneberg.threshold = value
        case "roenneberg.min_seed_minutes": settings.roenneberg.minSeedMinutes = value
        case "roenneberg.max_test_hours": settings.roenneberg.maxTestHours = value
        case "roenneberg.consecutive_below_minutes": settings.roenneberg.consecutiveBelowMinutes = value
        default: Issue.record("no setter for \(name)")
        }
    }

    @Test("the algorithms themselves do not trap on settings a library caller did not check")
    func algorithmsDoNotTrap() {
        let values = (0..<(3 * 1440)).map { minute -> Double in
            let hour = minute / 60 % 24
            return hour < 7 ? 0 : Double(50 + minute % 300)
        }
        let recording = ActigraphyRecording(startLocalMicros: 0, epochMicros: 60_000_000, values: values)
        for extreme in [1e300, -1e300, .nan, 1e18, -1, 0] {
            var settings = ActigraphySettings()
            settings.l5Hours = extreme
            settings.m10Hours = extreme
            settings.krFrac = extreme
            settings.roenneberg = RoennebergSettings(
                trendHours: extreme, minTrendHours: extreme, threshold: 0.15, minSeedMinutes: extreme, maxTestHours: extreme,
                consecutiveBelowMinutes: extreme)
            _ = try? Actigraphy.report(recording, settings: settings)
        }
    }

    @Test("the actigraphy query refuses out-of-range settings and windows over two years, naming the setting")
    func actigraphyQuery() throws {
        let subject = try #require(SubjectID("alice"))
        for (name, value) in [("roenneberg.trend_hours", "1e300"), ("l5_hours", "-1"), ("kr_frac", "0"), ("oakley_threshold", "1e18")] {
            do {
                _ = try ActigraphyParameters.parse(subject: subject, parameters: [name: value])
                Issue.record("\(name)=\(value) accepted")
            } catch {
                #expect(error.code == "invalid_parameter")
                #expect(error.details.map(\.field) == [name])
            }
        }
        #expect(throws: VigilError.self) {
            try ActigraphyParameters.parse(
                subject: subject, parameters: ["from": "2020-01-01T00:00:00Z", "to": "2022-01-02T00:00:01Z"])
        }
        _ = try ActigraphyParameters.parse(subject: subject, parameters: ["from": "2020-01-01T00:00:00Z", "to": "2021-12-31T00:00:00Z"])
    }

    @Test("analysis options: out-of-range values and unknown keys, nested ones too, are refused")
    func analysisOptions() throws {
        let refused: [String] = [
            #"{"roenneberg": {"trend_hours": 1e300}}"#, #"{"roenneberg": {"bogus": 1}}"#, #"{"roenneberg": 5}"#,
            #"{"l5_hours": 25}"#, #"{"bogus": 1}"#, #"{"sadeh_weights": [1, 2, 3]}"#, #"{"sadeh_weights": [1, 2, 3, 1e7]}"#,
            #"{"kr_frac": -0.0}"#, #"{"oakley_threshold": "sometimes"}"#, #"{"include_scoring": 1}"#,
        ]
        for text in refused {
            #expect(throws: VigilError.self, "\(text)") { try AnalysisOptions.actigraphy(try JSONParser.parse(Array(text.utf8))) }
        }
        let accepted = try AnalysisOptions.actigraphy(
            try JSONParser.parse(Array(#"{"roenneberg": {"threshold": 0.2}, "l5_hours": 4, "include_scoring": true}"#.utf8)))
        #expect(accepted.settings.roenneberg.threshold == 0.2)
        #expect(accepted.settings.roenneberg.trendHours == 24)
        #expect(accepted.settings.l5Hours == 4)
    }

    @Test("a session's history after any client sequence, up to UInt64.max, is computed without trapping")
    func sessionHistory() throws {
        var session = RealtimeSession(id: "s", creator: "alice", allowedParticipants: ["alice"], createdAt: 0, historyCapacity: 4)
        for index in 1...6 {
            session.history.append(
                RealtimeSessionMessage(sequence: UInt64(index), sender: "alice", text: try ChatText(sanitizing: "m\(index)"), sentAt: 0))
        }
        #expect(session.messages(after: .max).isEmpty)
        #expect(session.messages(after: .max - 1).isEmpty)
        #expect(session.messages(after: 0).count == 4)
        #expect(session.messages(after: 5).map(\.sequence) == [6])
        #expect(session.messages(after: 6).isEmpty)
    }

    @Test("an AWD start year beyond 9999 is a read error, not an overflow")
    func awdYear() {
        let file = "name\n01-Jan-99999999999999\n08:00\n4\n30\nserial\nM\n" + String(repeating: "10\n", count: 10)
        #expect(throws: ActigraphyFile.ReadError.self) { try ActigraphyFile.read(Array(file.utf8)) }
    }

    @Test("admission: at most `limit` run, `queueLength` wait, the rest are refused at once")
    func admissionGate() async throws {
        let gate = AdmissionGate(limit: 1, queueLength: 1)
        let (release, releaser) = AsyncStream<Void>.makeStream()
        let first = Task { try await gate.run { for await _ in release { break } } }
        while await gate.load.running < 1 { await Task.yield() }
        let second = Task { try await gate.run { 2 } }
        while await gate.load.waiting < 1 { await Task.yield() }
        await #expect(throws: VigilError.self) { try await gate.run { 3 } }
        releaser.yield()
        try await first.value
        #expect(try await second.value == 2)
        #expect(await gate.load == (0, 0))
    }
}

extension Tag {
    @Tag static var fuzz: Self
}
