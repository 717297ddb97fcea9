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
        for (key, value) in members {
            guard settings[key] != nil else {
                throw invalid("unknown option \(key); options are include_scoring and the settings of an actigraphy report's parameters")
            }
            settings.set(value, at: [key][...])
        }
        do {
            result.settings = try JSONDecoder().decode(ActigraphySettings.self, from: Data(settings.canonicalJSON.utf8))
        } catch {
            throw invalid("the actigraphy settings in options are not valid")
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
