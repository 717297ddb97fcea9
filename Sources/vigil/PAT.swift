import ArgumentParser
import Foundation
import VigilCore
import VigilPAT

struct PAT: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pat", abstract: "Pretrained Actigraphy Transformer inference.", subcommands: [PATEmbed.self])
}

struct PATEmbed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print {\"model\": …, \"embedding\": [96 numbers]} for one week of minutes.",
        discussion: """
            The input holds 10080 values, minute 0 first: one number per line, or `timestamp,activity` / `minute,value` \
            rows (the last field is the value; a header line is skipped).
            """
    )

    @Option(help: "PAT weights as .safetensors (convert published .h5 files with tools/pat_convert_h5.py).") var model: String
    @Option(help: "The week: CSV as described below.") var input: String
    @Option(help: "none (already standardised), zscore (per recording) or cohort (needs --cohort).") var standardize = "zscore"
    @Option(help: "Per-minute-of-week statistics, CSV minute,mean,std (for --standardize cohort).") var cohort: String?
    @Option(help: "Time the embedding over this many extra runs (median and minimum on standard error).") var `repeat`: Int = 0

    func validate() throws {
        guard ["none", "zscore", "cohort"].contains(standardize) else {
            throw ValidationError("--standardize must be none, zscore or cohort")
        }
        if standardize == "cohort", cohort == nil { throw ValidationError("--standardize cohort needs --cohort FILE") }
    }

    func run() async throws {
        let weights: PATModel
        do {
            weights = try PATModel.load(contentsOf: URL(fileURLWithPath: model))
        } catch {
            throw CommandFailure(description: "\(model): \(error.description)")
        }
        guard let text = try? String(contentsOfFile: input, encoding: .utf8) else {
            throw CommandFailure(description: "cannot read \(input)")
        }
        let values = try Self.values(text)
        let standardization: PATStandardization
        switch standardize {
        case "none": standardization = .none
        case "zscore": standardization = .zscore
        default:
            do {
                let statistics = try PATCohortStatistics.load(contentsOf: URL(fileURLWithPath: cohort ?? ""))
                standardization = .cohort(mean: statistics.mean, std: statistics.std)
            } catch {
                throw CommandFailure(description: "\(cohort ?? ""): \(error.description)")
            }
        }
        do {
            let input = try PATInput.standardize(values, standardization)
            let embedding = try weights.embed(input)
            if `repeat` > 0 {
                let clock = ContinuousClock()
                var times = [Double]()
                for _ in 0..<`repeat` {
                    let elapsed = try clock.measure { _ = try weights.embed(input) }
                    times.append(Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15)
                }
                times.sort()
                FileHandle.standardError.write(
                    Data(
                        "vigil pat embed \(weights.variant.rawValue): median \(times[times.count / 2]) ms, min \(times[0]) ms over \(`repeat`) runs (1 thread)\n"
                            .utf8))
            }
            let json = JSONValue.object([
                "model": .string(weights.variant.rawValue),
                "embedding": .array(embedding.map { .number(Double("\($0)") ?? Double($0)) }),
            ])
            print(json.canonicalJSON)
        } catch let error as PATModelError {
            throw CommandFailure(description: error.description)
        }
    }

    /// One value per line; in `a,b` rows the last field. A first line that is not a number is a header.
    static func values(_ text: String) throws -> [Double] {
        var values = [Double]()
        for (index, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let field =
                line.split(separator: ",", omittingEmptySubsequences: false).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let value = Double(field), value.isFinite else {
                if index == 0 { continue }
                throw CommandFailure(description: "line \(index + 1): expected a number, found `\(field)`")
            }
            values.append(value)
        }
        guard values.count == PATModel.inputLength else {
            throw CommandFailure(description: "expected \(PATModel.inputLength) values (one week of minutes), found \(values.count)")
        }
        return values
    }
}
