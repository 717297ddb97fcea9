import Foundation
import Testing

@testable import VigilAnalytics

@Suite("settings echo as snake_case JSON")
struct ActigraphySettingsTests {
    @Test("defaults encode with snake_case keys and round-trip")
    func defaultsRoundTrip() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(ActigraphySettings())
        let json = try #require(String(data: data, encoding: .utf8))
        for key in [
            "\"binarization_threshold\":4", "\"l5_hours\":5", "\"m10_hours\":10", "\"oakley_threshold\":40", "\"kr_frac\":0.3",
            "\"min_seed_minutes\":30", "\"cole_kripke_rescoring\":true",
        ] {
            #expect(json.contains(key), "missing \(key) in \(json)")
        }
        #expect(try JSONDecoder().decode(ActigraphySettings.self, from: data) == ActigraphySettings())
    }

    @Test(
        "the Oakley threshold is a number or \"automatic\"", arguments: [("40", OakleyThreshold.fixed(40)), ("\"automatic\"", .automatic)])
    func oakleyThreshold(json: String, expected: OakleyThreshold) throws {
        let decoded = try JSONDecoder().decode(OakleyThreshold.self, from: Data(json.utf8))
        #expect(decoded == expected)
        #expect(String(data: try JSONEncoder().encode(decoded), encoding: .utf8) == json)
    }

    @Test("other strings are rejected")
    func rejectsUnknownThreshold() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(OakleyThreshold.self, from: Data("\"auto\"".utf8)) }
    }

    @Test("missing keys keep the defaults, so a client sends only what it changes")
    func partialSettings() throws {
        let json = #"{"l5_hours": 4, "oakley_threshold": "automatic", "roenneberg": {"threshold": 0.2}}"#
        let decoded = try JSONDecoder().decode(ActigraphySettings.self, from: Data(json.utf8))
        var expected = ActigraphySettings()
        expected.l5Hours = 4
        expected.oakleyThreshold = .automatic
        expected.roenneberg.threshold = 0.2
        #expect(decoded == expected)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ActigraphySettings.self, from: Data(#"{"sadeh_weights": [1, 2]}"#.utf8))
        }
    }
}
