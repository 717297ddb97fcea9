import Foundation
import Testing
import VigilAnalytics

@testable import VigilCore

@Suite("Stored epochs laid on a grid")
struct ActigraphyWindowTests {
    static let minute: Int64 = 60_000_000

    static func points(_ starts: [Int64], offset: Int32 = 3600, duration: Int64 = minute) -> [SeriesPoint] {
        starts.enumerated().map { index, start in
            SeriesPoint(
                start: Timestamp(microseconds: start, offsetSeconds: offset), endMicroseconds: start + duration, value: Double(index + 1))
        }
    }

    @Test("missing epochs become NaN and local time is the first epoch's offset")
    func gaps() throws {
        let base: Int64 = 1_704_067_200_000_000  // 2024-01-01T00:00:00Z
        let window = try ActigraphyWindow.assemble(Self.points([base, base + Self.minute, base + 4 * Self.minute]))
        #expect(window.recording.values.count == 5)
        #expect(window.recording.values[0] == 1 && window.recording.values[1] == 2 && window.recording.values[4] == 3)
        #expect(window.recording.values[2].isNaN && window.recording.values[3].isNaN)
        #expect(window.missingEpochs == 2)
        #expect(LocalTime.format(window.recording.startLocalMicros) == "2024-01-01T01:00:00")
        #expect(window.lastEpochEnd.microseconds == base + 5 * Self.minute)
    }

    @Test("a daylight-saving change keeps the grid and the first epoch's offset (the rule we chose)")
    func daylightSaving() throws {
        // 2024-03-31 01:00Z is when Central Europe moves from +01:00 to +02:00.
        let change: Int64 = 1_711_846_800_000_000
        var points = Self.points((-120..<0).map { change + Int64($0) * Self.minute }, offset: 3600)
        points += Self.points((0..<120).map { change + Int64($0) * Self.minute }, offset: 7200)
        let window = try ActigraphyWindow.assemble(points)
        #expect(window.recording.values.count == 240)
        #expect(window.missingEpochs == 0)
        #expect(window.firstEpoch.offsetSeconds == 3600)
        #expect(LocalTime.format(window.recording.startLocalMicros) == "2024-03-31T00:00:00")
    }

    @Test("zero-length samples take the epoch from the most common step")
    func steps() throws {
        let window = try ActigraphyWindow.assemble(Self.points([0, 30_000_000, 60_000_000, 120_000_000], duration: 0))
        #expect(window.recording.epochMicros == 30_000_000)
        #expect(window.recording.values.count == 5)
    }

    @Test(
        "irregular data is refused with a 422 that says why",
        arguments: [
            ([0, 60_000_000, 90_000_000, 150_000_000] as [Int64], "irregular_epochs"),
            ([0], "insufficient_data"),
            ([], "insufficient_data"),
        ])
    func irregular(starts: [Int64], code: String) {
        #expect {
            try ActigraphyWindow.assemble(Self.points(starts))
        } throws: { error in
            (error as? VigilError).map { $0.kind == .validation && $0.code == code } ?? false
        }
    }

    @Test("an epoch that does not divide a day is refused")
    func oddEpoch() {
        #expect(throws: VigilError.self) { try ActigraphyWindow.assemble(Self.points([0, 7_000_000, 14_000_000], duration: 7_000_000)) }
    }

    @Test("two samples at the same epoch are refused")
    func duplicateStart() {
        var points = Self.points([0, 60_000_000, 120_000_000])
        points.insert(points[1], at: 1)
        #expect(throws: VigilError.self) { try ActigraphyWindow.assemble(points) }
    }

    @Test("unknown settings are refused and known ones override the defaults")
    func parameters() throws {
        let subject = SubjectID("p1")!
        #expect(throws: VigilError.self) { try ActigraphyParameters.parse(subject: subject, parameters: ["thresold": "3"]) }
        #expect(throws: VigilError.self) { try ActigraphyParameters.parse(subject: subject, parameters: ["include": "everything"]) }
        #expect(throws: VigilError.self) { try ActigraphyParameters.parse(subject: subject, parameters: ["from": "yesterday"]) }
        let parsed = try ActigraphyParameters.parse(
            subject: subject, parameters: ["binarization_threshold": "10", "oakley_threshold": "automatic", "include": "scoring"])
        #expect(parsed.settings.binarizationThreshold == 10)
        #expect(parsed.settings.oakleyThreshold == .automatic)
        #expect(parsed.includeScoring)
    }
}
