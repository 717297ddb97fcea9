import Testing

@testable import VigilAnalytics

@Suite("reference data loads completely")
struct ReferenceDataSanityTests {
    static let metricKeys = [
        "IS", "IS_nonbinarized", "IV", "IV_nonbinarized", "RA", "RA_nonbinarized", "ADAT", "ADAT_nonbinarized",
        "kRA", "kAR", "SRI", "L5", "M10", "L5_nonbinarized", "M10_nonbinarized",
    ]

    @Test("every metric and scoring key is present and the CSV matches the recording header", arguments: ReferenceCase.names)
    func keysPresent(name: String) throws {
        let ref = try ReferenceCase.load(name)
        for key in Self.metricKeys { #expect(ref.expected.metrics[key] != nil, "\(name) lacks \(key)") }
        for key in ["CK", "CK_no_rescoring", "Sadeh", "Scripps", "Oakley", "Oakley_automatic", "Roenneberg"] {
            #expect(ref.expected.sleepScoring[key] != nil, "\(name) lacks \(key)")
        }
        #expect(ref.recording.values.count == ref.expected.recording.nEpochs)
        #expect(ref.recording.values.filter(\.isNaN).count == ref.expected.recording.nMissing)
        #expect(ref.recording.epochSeconds == ref.expected.recording.epochSeconds)
        #expect(ref.recording.startLocalMicros == ActigraphyCSV.localMicros(ref.expected.recording.firstTimestamp))
    }
}
