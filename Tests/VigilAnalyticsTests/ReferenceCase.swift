import Foundation
import Testing

@testable import VigilAnalytics

/// One recording of /work/shared/reference/actigraphy with pyActigraphy's expected values.
struct ReferenceCase: Sendable {
    let name: String
    let recording: ActigraphyRecording
    let expected: ReferenceFile

    static let names = [
        "syn01_2d_regular_1min", "syn02_7d_regular_1min", "syn03_14d_irregular_1min",
        "syn04_7d_30s", "syn05_10d_gaps_1min", "syn06_odd_start_1min",
    ]

    static func load(_ name: String) throws -> ReferenceCase {
        let csv = try String(contentsOf: resource("\(name).csv"), encoding: .utf8)
        let json = try Data(contentsOf: resource("\(name).reference.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return ReferenceCase(
            name: name, recording: try ActigraphyCSV.parse(csv), expected: try decoder.decode(ReferenceFile.self, from: json))
    }

    static func resource(_ file: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: file, withExtension: nil, subdirectory: "Resources/actigraphy") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return url
    }
}

/// The parts of a `*.reference.json` the tests read (schema_version 1).
struct ReferenceFile: Decodable, Sendable {
    struct Recording: Decodable, Sendable {
        let firstTimestamp: String
        let epochSeconds: Double
        let nEpochs: Int
        let nMissing: Int
    }
    struct Start: Decodable, Sendable {
        let offsetSeconds: Double
    }
    struct Intermediate: Decodable, Sendable {
        let runLengthsT: [Double]
        let pT: [Double]
        let weights: [Double]
        let lowess: [Double]
        let stdDdof1: Double
    }
    struct Metric: Decodable, Sendable {
        let value: Double?
        let start: Start?
        let tieSetTimeOfDaySeconds: [Double]?
        let intermediate: Intermediate?
    }
    struct NearThreshold: Decodable, Sendable {
        let index: Int?
    }
    struct Scoring: Decodable, Sendable {
        let firstTimestamp: String
        let epochSeconds: Double
        let nEpochs: Int
        let nSleep: Int
        let values: [Double?]
        let nearThresholdEpochs: [NearThreshold]?
        let automaticThreshold: Double?
    }
    let recording: Recording
    let metrics: [String: Metric]
    let sleepScoring: [String: Scoring]
}

/// |actual − expected| ≤ 1e-9·|expected|, with nil/NaN only matching nil.
func expectClose(_ actual: Double?, _ expected: Double?, _ label: String, relative: Double = 1e-9) {
    let a = actual.flatMap { $0.isNaN ? nil : $0 }
    switch (a, expected) {
    case (nil, nil): break
    case (let a?, let e?):
        #expect(abs(a - e) <= relative * abs(e), "\(label): \(a) vs expected \(e)")
    default:
        Issue.record("\(label): \(String(describing: a)) vs expected \(String(describing: expected))")
    }
}
