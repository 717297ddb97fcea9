import ArgumentParser
import Foundation
import VigilAnalytics
import VigilCore
import VigilServer

struct Analyze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Analyse a recording file offline.", subcommands: [AnalyzeActigraphy.self])
}

struct AnalyzeActigraphy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actigraphy",
        abstract: "Print the actigraphy report of a CSV or AWD file (the JSON of GET …/actigraphy), without a database.",
        discussion: "With --repeat N the report is computed N more times and the median and minimum time go to standard error."
    )

    @Argument(help: "The recording: a CSV with the header timestamp,activity, or an AWD file.") var file: String
    @Flag(name: .customLong("include-scoring"), help: "Add the per-epoch sleep/wake series.") var includeScoring = false
    @Option(help: "Time the computation over this many extra runs.") var `repeat`: Int = 0

    func run() async throws {
        guard let bytes = FileManager.default.contents(atPath: file) else { throw CommandFailure(description: "cannot read \(file)") }
        let recording: ActigraphyRecording
        do {
            recording = try ActigraphyFile.read(Array(bytes)).recording
        } catch {
            throw CommandFailure(description: "\(file): \(error.description)")
        }
        let report: ActigraphyReport
        do {
            report = try ActigraphyAnalysis.report(recording, settings: ActigraphySettings())
        } catch {
            throw CommandFailure(
                description: "\(error.message): \(error.details.map { "\($0.field) \($0.reason)" }.joined(separator: "; "))")
        }
        if `repeat` > 0 {
            var times = [Double]()
            let clock = ContinuousClock()
            for _ in 0..<`repeat` {
                let elapsed = clock.measure { _ = try? Actigraphy.report(recording) }
                times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
            }
            times.sort()
            FileHandle.standardError.write(
                Data(
                    "vigil actigraphy report: \(recording.values.count) epochs, median \(times[times.count / 2]) ms, min \(times[0]) ms over \(`repeat`) runs\n"
                        .utf8))
        }
        let window = ActigraphyWindow(
            recording: recording, firstEpoch: Timestamp(microseconds: recording.startLocalMicros, offsetSeconds: 0),
            storedEpochs: recording.values.filter { !$0.isNaN }.count)
        let json = ActigraphyJSON.report(report, window: window, query: nil, includeScoring: includeScoring)
        print(json.canonicalJSON)
    }
}
