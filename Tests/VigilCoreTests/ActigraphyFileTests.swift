import Foundation
import Testing
import VigilAnalytics

@testable import VigilCore

@Suite("Actigraphy file readers")
struct ActigraphyFileTests {
    @Test(
        "the reference CSVs read as regular grids with their missing epochs",
        arguments: [
            ("syn01_2d_regular_1min", 2880, 0, 60.0, "2024-01-01T08:00:00"),
            ("syn04_7d_30s", 20160, 0, 30.0, "2024-04-08T07:45:30"),
            ("syn05_10d_gaps_1min", 14400, 1158, 60.0, "2024-05-06T09:00:00"),
            ("syn06_odd_start_1min", 9083, 0, 60.0, "2024-06-10T13:37:00"),
        ])
    func referenceCSV(name: String, epochs: Int, missing: Int, epochSeconds: Double, start: String) throws {
        let file = try ActigraphyFile.read(try ActigraphyFixtures.csvBytes(name))
        #expect(file.format == .csv)
        #expect(file.recording.values.count == epochs)
        #expect(file.recording.values.filter(\.isNaN).count == missing)
        #expect(file.recording.epochSeconds == epochSeconds)
        #expect(LocalTime.format(file.recording.startLocalMicros) == start)
    }

    @Test("fractional seconds are kept and CRLF line ends are accepted")
    func fractions() throws {
        let text = "timestamp,activity\r\n2024-01-01T00:00:20.5,3\r\n2024-01-01T00:00:50.5,\r\n2024-01-01T00:01:20.5,7.25\r\n"
        let recording = try ActigraphyFile.read(Array(text.utf8)).recording
        #expect(LocalTime.format(recording.startLocalMicros) == "2024-01-01T00:00:20.500000")
        #expect(recording.epochMicros == 30_000_000)
        #expect(recording.values.count == 3)
        #expect(recording.values[1].isNaN)
        #expect(recording.values[2] == 7.25)
    }

    @Test("an AWD file gives its start, epoch code and counts")
    func awd() throws {
        let text = "SUBJ01\n05-Feb-2024\n22:30\n2\n35\nV0451234\nM\n12 M\n0\n  7 , 4.5 M\n"
        let file = try ActigraphyFile.read(Array(text.utf8))
        #expect(file.format == .awd)
        #expect(LocalTime.format(file.recording.startLocalMicros) == "2024-02-05T22:30:00")
        #expect(file.recording.epochSeconds == 30)
        #expect(file.recording.values == [12, 0, 7])
    }

    @Test(
        "bad files are refused with the line and the reason",
        arguments: [
            ("timestamp,activity\n2024-01-01T00:00:00,1\n", "at least two epochs"),
            ("timestamp,activity\n2024-01-01T00:00:00,1\n2024-01-01T00:01:00,x\n", "line 3: expected `YYYY"),
            ("timestamp,activity\n2024-01-01T00:00:00,1\n2024-01-01T00:01:00,1\n2024-01-01T00:03:00,1\n", "line 4: rows must be one epoch"),
            ("timestamp,activity\n2024-13-01T00:00:00,1\n2024-01-01T00:01:00,1\n", "line 2: expected `YYYY"),
            ("timestamp,activity,light\n2024-01-01T00:00:00,1,2\n", "line 1: expected the header"),
            ("SUBJ\n31-Feb-2024\n10:00\n4\n1\nV1\nM\n1\n", "line 2: expected the AWD start date"),
            ("SUBJ\n01-Feb-2024\n10:00\n9\n1\nV1\nM\n1\n", "line 4: unknown AWD epoch code"),
            ("SUBJ\n01-Feb-2024\n10:00\n4\n1\nV1\nM\n1\n-3\n", "line 9: expected an activity count"),
            ("", "the file is empty"),
        ])
    func refused(text: String, message: String) {
        #expect {
            try ActigraphyFile.read(Array(text.utf8))
        } throws: { error in
            (error as? ActigraphyFile.ReadError)?.description.contains(message) == true
        }
    }
}

enum ActigraphyFixtures {
    /// The pyActigraphy reference data, kept once in the analytics tests' resources.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("VigilAnalyticsTests/Resources/actigraphy")

    static func csvBytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent("\(name).csv")))
    }
}
