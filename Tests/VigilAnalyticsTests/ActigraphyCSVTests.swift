import Testing

@testable import VigilAnalytics

@Suite("CSV reading")
struct ActigraphyCSVTests {
    @Test(
        "timestamps, with and without a fraction, are local microseconds",
        arguments: [
            ("1970-01-01T00:00:00", Int64(0)),
            ("2024-01-01T13:37:00", Int64(1_704_116_220_000_000)),
            ("2024-02-29T00:00:00.5", Int64(1_709_164_800_500_000)),
            ("1969-12-31T23:59:59.25", Int64(-750_000)),
        ])
    func timestamps(text: String, micros: Int64) {
        #expect(ActigraphyCSV.localMicros(text) == micros)
    }

    @Test("empty activity is missing and the grid step becomes the epoch")
    func parse() throws {
        let rec = try ActigraphyCSV.parse("timestamp,activity\n2024-04-08T07:45:30,145\n2024-04-08T07:46:00,\n2024-04-08T07:46:30,3.5\n")
        #expect(rec.epochMicros == 30_000_000)
        #expect(rec.values.count == 3)
        #expect(rec.values[1].isNaN)
        #expect(rec.values[2] == 3.5)
        #expect(LocalTime.secondOfDay(rec.startLocalMicros) == 7 * 3600 + 45 * 60 + 30)
    }

    @Test("an irregular grid is rejected")
    func irregular() {
        #expect(throws: ActigraphyCSV.ParseError.irregularGrid(line: 4)) {
            try ActigraphyCSV.parse("timestamp,activity\n2024-01-01T00:00:00,1\n2024-01-01T00:01:00,1\n2024-01-01T00:03:00,1\n")
        }
    }
}
