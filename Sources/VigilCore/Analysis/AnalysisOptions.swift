import Foundation
import VigilAnalytics
import VigilPAT

/// The `options` object of an analysis request, checked when the job is submitted (so a bad option is a
/// `422` at once, not a failed job later) and read again when it runs.
public enum AnalysisOptions {
    public struct Actigraphy: Sendable {
        public var settings = ActigraphySettings()
        public var includeScoring = false
    }

    /// `include_scoring` (bool) and any setting of `parameters` (same names, JSON values).
    public static func actigraphy(_ options: JSONValue) throws(VigilError) -> Actigraphy {
        guard case .object(var members) = options else { throw invalid("options must be an object") }
        var result = Actigraphy()
        if let include = members.removeValue(forKey: "include_scoring") {
            guard case .bool(let flag) = include else { throw invalid("options.include_scoring must be true or false") }
            result.includeScoring = flag
        }
        guard !members.isEmpty else { return result }
        var settings = ActigraphyParameters.json(ActigraphySettings())
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            guard let current = settings[key] else {
                throw invalid("unknown option \(key); options are include_scoring and the settings of an actigraphy report's parameters")
            }
            // A nested group (roenneberg) takes only its own keys, each replacing the default.
            if case .object(let defaults) = current {
                guard case .object(let given) = value else { throw invalid("options.\(key) must be an object") }
                for nested in given.keys.sorted() where defaults[nested] == nil {
                    throw invalid("unknown option \(key).\(nested); \(key) takes: \(defaults.keys.sorted().joined(separator: ", "))")
                }
                for (nested, nestedValue) in given { settings.set(nestedValue, at: [key, nested][...]) }
            } else {
                settings.set(value, at: [key][...])
            }
        }
        do {
            result.settings = try JSONDecoder().decode(ActigraphySettings.self, from: Data(settings.canonicalJSON.utf8))
        } catch {
            throw invalid("the actigraphy settings in options are not valid")
        }
        let problems = result.settings.rangeProblems
        guard problems.isEmpty else {
            let details = problems.map { ErrorDetail(index: nil, field: "options.\($0.name)", reason: "\($0.name) \($0.reason)") }
            throw VigilError(
                .validation, code: "validation_failed",
                message: problems.count == 1 ? details[0].reason : "\(problems.count) options are out of range", details: details)
        }
        return result
    }

    public enum Standardization: String, Sendable, CaseIterable {
        case none, zscore, cohort
    }

    /// `standardization`: `none`, `zscore` (default) or `cohort`.
    public static func pat(_ options: JSONValue) throws(VigilError) -> Standardization {
        guard case .object(let members) = options else { throw invalid("options must be an object") }
        for key in members.keys where key != "standardization" {
            throw invalid("unknown option \(key); pat_embedding takes only standardization")
        }
        guard let value = members["standardization"] else { return .zscore }
        guard case .string(let name) = value, let standardization = Standardization(rawValue: name) else {
            throw invalid("options.standardization must be one of: none, zscore, cohort")
        }
        return standardization
    }

    static func invalid(_ message: String) -> VigilError {
        VigilError(
            .validation, code: "validation_failed", message: message, details: [ErrorDetail(index: nil, field: "options", reason: message)])
    }
}
