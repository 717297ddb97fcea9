import Foundation
import Testing
import VigilAnalytics
@testable import VigilCore

/// Any settings within their documented ranges, on any recording a client can store (gaps, zeros, bursts,
/// short and long epochs), give a report or a clear "too little data" — never a trap — and the actogram
/// renders. A trap here kills the test process, so this fails loudly.
@Suite("Actigraphy settings, property")
struct ActigraphySettingsPropertyTests {
    /// A small deterministic generator (SplitMix64), so a failure can be replayed from its seed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A value in the range: mostly uniform, often an edge (the bounds themselves, just inside them, tiny values).
    static func value(in range: SettingRange, _ rng: inout SplitMix) -> Double {
        let low = range.lowerInclusive ? range.lower : range.lower.nextUp
        let edges = [low, range.upper, low + (range.upper - low) * 1e-9, range.upper.nextDown, (low + range.upper) / 2]
        if Bool.random(using: &rng) { return edges.randomElement(using: &rng)! }
        // Log-uniform over the magnitude for wide ranges, so small values are tried too.
        let fraction = Double.random(in: 0...1, using: &rng)
        return low + (range.upper - low) * pow(fraction, Double.random(in: 1...12, using: &rng))
    }

    static func recording(_ rng: inout SplitMix) -> ActigraphyRecording {
        let epochSeconds: Int64 = [15, 30, 60, 60, 60, 120, 300].randomElement(using: &rng)!
        let hours = Int.random(in: 1...80, using: &rng)
        let count = max(2, hours * 3600 / Int(epochSeconds))
        let style = Int.random(in: 0..<5, using: &rng)
        let values = (0..<count).map { index -> Double in
            let minute = index * Int(epochSeconds) / 60
            let night = (minute / 60 % 24) < 7
            switch style {
            case 0: return night ? 0 : Double(Int.random(in: 0...600, using: &rng))
            case 1: return Int.random(in: 0..<10, using: &rng) == 0 ? .nan : (night ? 0 : 300)
            case 2: return 0
            case 3: return Double.random(in: 0...1_000_000, using: &rng)
            default: return index % 2 == 0 ? 0 : 1
            }
        }
        return ActigraphyRecording(startLocalMicros: 1_700_000_000_000_000, epochMicros: epochSeconds * 1_000_000, values: values)
    }

    @Test("random valid settings on random recordings never trap", arguments: 0..<4)
    func neverTraps(shard: Int) throws {
        var rng = SplitMix(state: 0x5EED_0000 + UInt64(shard))
        for _ in 0..<60 {
            var settings = ActigraphySettings()
            for range in ActigraphySettings.ranges {
                HostileInputUnitTests.set(&settings, range.name, Self.value(in: range, &rng))
            }
            settings.sadehWeights = (0..<4).map { _ in Double.random(in: -1_000_000...1_000_000, using: &rng) }
            settings.coleKripkeRescoring = Bool.random(using: &rng)
            if Bool.random(using: &rng) { settings.oakleyThreshold = .automatic }
            #expect(settings.rangeProblems.isEmpty)
            let recording = Self.recording(&rng)
            _ = try? Actigraphy.report(recording, settings: settings)
            for algorithm in SleepAlgorithm.allCases {
                _ = ActigraphyAnalysis.sleepScoring(recording, algorithm, settings: settings)
            }
            let window = ActigraphyWindow(
                recording: recording, firstEpoch: Timestamp(microseconds: recording.startLocalMicros, offsetSeconds: 0),
                storedEpochs: recording.values.count)
            let svg = Actogram(window: window, sleep: nil, algorithmName: "cole_kripke", title: "t").svg()
            #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
        }
    }
}
