import PropertyBased
import Testing

@testable import VigilCore

@Suite("Timestamp")
struct TimestampTests {
    @Test(
        "parses RFC 3339 and keeps the offset",
        arguments: [
            ("2026-11-20T07:15:00+01:00", Int64(1_795_155_300) * 1_000_000, Int32(3600)),
            ("2026-11-20T06:15:00Z", Int64(1_795_155_300) * 1_000_000, Int32(0)),
            ("2026-11-20t06:15:00.5z", Int64(1_795_155_300) * 1_000_000 + 500_000, Int32(0)),
            ("2026-11-19T21:45:00.000001-08:30", Int64(1_795_155_300) * 1_000_000 + 1, Int32(-30600)),
            ("1970-01-01T00:00:00Z", Int64(0), Int32(0)),
            ("2024-02-29T12:00:00+09:00", Int64(1_709_175_600) * 1_000_000, Int32(32400)),
        ])
    func parses(text: String, micros: Int64, offset: Int32) throws {
        let timestamp = try Timestamp(rfc3339: text)
        #expect(timestamp.microseconds == micros)
        #expect(timestamp.offsetSeconds == offset)
    }

    @Test(
        "rejects what is not RFC 3339 with an offset",
        arguments: [
            "2026-11-20T07:15:00", "2026-11-20", "2026-02-30T00:00:00Z", "2026-11-20T24:00:00Z", "2026-11-20T07:15:00+1:00",
            "2026-11-20T07:15:00.Z", "2026-11-20T07:15:00+01:00 ", "20261120T071500Z", "2026-11-20T07:15:00.1234567Z", "",
        ])
    func rejects(text: String) {
        #expect(throws: Timestamp.ParseError.self) { try Timestamp(rfc3339: text) }
    }

    @Test("formats in its own offset, with 3 or 6 fraction digits only when needed")
    func formats() throws {
        #expect(try Timestamp(rfc3339: "2026-11-20T07:15:00.250+09:00").rfc3339 == "2026-11-20T07:15:00.250+09:00")
        #expect(try Timestamp(rfc3339: "2026-11-20T07:15:00.000+09:00").rfc3339 == "2026-11-20T07:15:00+09:00")
        #expect(try Timestamp(rfc3339: "2026-11-20T07:15:00.000010-03:30").rfc3339 == "2026-11-20T07:15:00.000010-03:30")
        #expect(try Timestamp(rfc3339: "2026-11-20T07:15:00+00:00").rfc3339 == "2026-11-20T07:15:00Z")
        #expect(try Timestamp(rfc3339: "1969-12-31T23:59:59.5Z").rfc3339 == "1969-12-31T23:59:59.500Z")
    }

    @Test("format then parse is the identity")
    func roundTrip() async {
        await propertyCheck(
            count: 500,
            input: Gen.int64(in: -2_000_000_000_000_000...4_000_000_000_000_000), Gen.int(in: -(23 * 60 + 59)...(23 * 60 + 59))
        ) { micros, offsetMinutes in
            let timestamp = Timestamp(microseconds: micros, offsetSeconds: Int32(offsetMinutes * 60))
            #expect((try? Timestamp(rfc3339: timestamp.rfc3339)) == timestamp)
        }
    }
}
