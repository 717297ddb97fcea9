import Foundation
import Testing

@testable import VigilPAT

@Suite("PATCohortStatistics CSV")
struct PATCohortStatisticsTests {
    static func csv(
        rows: Int = 10080, header: String = "minute,mean,std", row: (Int) -> String = { "\($0),\(Double($0) / 2),1.5" }
    )
        -> String
    {
        ([header] + (0..<rows).map(row)).joined(separator: "\n") + "\n"
    }

    @Test("a well-formed file parses into 10080 means and stds")
    func parsesValidFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pat-cohort-\(UUID().uuidString).csv")
        try Self.csv().write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let stats = try PATCohortStatistics.load(contentsOf: url)
        #expect(stats.mean.count == 10080 && stats.std.count == 10080)
        #expect(stats.mean[10079] == 5039.5)
        #expect(stats.std[0] == 1.5)
    }

    @Test("CRLF line endings are accepted")
    func acceptsCRLF() throws {
        let stats = try PATCohortStatistics.parse(csv: Self.csv().replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(stats.mean.count == 10080)
    }

    @Test(
        "malformed files are rejected",
        arguments: [
            ("wrong header", csv(header: "minute,value")),
            ("too few rows", csv(rows: 10079)),
            ("minutes out of order", csv { "\($0 == 5 ? 6 : $0),0,1" }),
            ("non-numeric mean", csv { $0 == 7 ? "7,abc,1" : "\($0),0,1" }),
            ("negative std", csv { $0 == 8 ? "8,0,-1" : "\($0),0,1" }),
            ("missing column", csv { $0 == 9 ? "9,0" : "\($0),0,1" }),
        ])
    func rejectsMalformed(label: String, text: String) {
        let error = #expect(throws: PATModelError.self) { try PATCohortStatistics.parse(csv: text) }
        guard case .invalidCohortStatistics = error else {
            Issue.record("\(label): expected invalidCohortStatistics, got \(String(describing: error))")
            return
        }
    }
}
