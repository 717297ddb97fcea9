import VigilAnalytics

/// The report's JSON: the keys of docs/CONTRACT.md plus the window actually analysed.
public enum ActigraphyJSON {
    /// The report as JSON; `query` nil (an offline file) leaves out `subject`.
    public static func report(
        _ report: ActigraphyReport, window: ActigraphyWindow, query: ActigraphyQuery?, includeScoring: Bool
    ) -> JSONValue {
        let offset = window.firstEpoch.offsetSeconds
        func instant(_ timestamp: Timestamp?, _ fallback: Timestamp) -> JSONValue {
            let value = timestamp ?? fallback
            return .string(Timestamp(microseconds: value.microseconds, offsetSeconds: offset).rfc3339)
        }
        var object: [String: JSONValue] = [
            "from": instant(query?.from, window.firstEpoch),
            "to": instant(query?.to, window.lastEpochEnd),
            "first_epoch": .string(window.firstEpoch.rfc3339),
            "epoch_seconds": number(window.recording.epochSeconds),
            "epochs": .integer(Int64(window.recording.values.count)),
            "missing_epochs": .integer(Int64(window.missingEpochs)),
            "algorithm_version": .string(ActigraphyReport.algorithmVersion),
            "parameters": ActigraphyParameters.json(report.settings),
            "metrics": .object([
                "is": number(report.interdailyStability),
                "iv": number(report.intradailyVariability),
                "ra": number(report.relativeAmplitude),
                "l5": lmx(report.l5),
                "m10": lmx(report.m10),
                "adat": number(report.adat),
                "kra": number(report.kRA),
                "kar": number(report.kAR),
                "sri": number(report.sleepRegularityIndex),
            ]),
            "sleep_epochs": .object(
                Dictionary(uniqueKeysWithValues: report.scoring.map { ($0.key.rawValue, JSONValue.integer(Int64($0.value.sleepEpochs))) })),
        ]
        if let query { object["subject"] = .string(query.subject.value) }
        if includeScoring {
            object["scoring"] = .object(
                Dictionary(
                    uniqueKeysWithValues: report.scoring.map { algorithm, scoring in
                        (algorithm.rawValue, JSONValue.array(scoring.values.map { $0.map { .integer(Int64($0)) } ?? .null }))
                    }))
            // Cole-Kripke scores clock minutes, so on 30-second data its series has its own grid.
            object["scoring_grid"] = .object(
                Dictionary(
                    uniqueKeysWithValues: report.scoring.map { algorithm, scoring in
                        let utc = scoring.firstEpochLocalMicros - Int64(offset) * 1_000_000
                        return (
                            algorithm.rawValue,
                            JSONValue.object([
                                "first_epoch": .string(Timestamp(microseconds: utc, offsetSeconds: offset).rfc3339),
                                "epoch_seconds": number(Double(scoring.epochMicros) / 1e6),
                                "epochs": .integer(Int64(scoring.values.count)),
                            ])
                        )
                    }))
        }
        return .object(object)
    }

    static func number(_ value: Double?) -> JSONValue {
        guard let value, value.isFinite else { return .null }
        if value == value.rounded(), abs(value) < 1e15 { return .integer(Int64(value)) }
        return .number(value)
    }

    static func lmx(_ result: LMXResult) -> JSONValue {
        let seconds = result.startSecondOfDay
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        var start = "\(two(seconds / 3600)):\(two(seconds / 60 % 60))"
        if seconds % 60 != 0 { start += ":\(two(seconds % 60))" }
        return .object(["value": number(result.value), "start": .string(start)])
    }
}
