import Foundation
import VigilAnalytics

/// The query of `GET …/actigraphy`: the window, what to include, and algorithm settings. Every setting
/// is a query parameter named as in the response's `parameters` object (nested ones with a dot,
/// `roenneberg.threshold`); anything else is refused, so a typo never silently falls back to a default.
public struct ActigraphyParameters: Sendable {
    public var window: ActigraphyQuery
    public var settings = ActigraphySettings()
    public var includeScoring = false
    /// The algorithm whose sleep periods the actogram shades.
    public var shading: SleepAlgorithm = .coleKripke

    static let reserved: Set<String> = ["from", "to", "include", "algorithm"]

    public static func parse(subject: SubjectID, parameters: [String: String]) throws(VigilError) -> ActigraphyParameters {
        var from: Timestamp?
        var to: Timestamp?
        for name in ["from", "to"] {
            guard let raw = parameters[name] else { continue }
            guard let instant = try? Timestamp(rfc3339: raw) else {
                throw .invalidParameter("\(name) must be an RFC 3339 timestamp with a UTC offset (send '+' as %2B)", field: name)
            }
            if name == "from" { from = instant } else { to = instant }
        }
        if let from, let to, to.microseconds <= from.microseconds { throw .invalidParameter("to must be after from", field: "to") }
        if let from, let to, to.microseconds - from.microseconds > ActigraphyWindow.maximumDays * 86_400_000_000 {
            throw .invalidParameter("from and to may be at most \(ActigraphyWindow.maximumDays) days apart", field: "to")
        }
        var result = ActigraphyParameters(window: .init(subject: subject, from: from, to: to))
        if let include = parameters["include"] {
            guard include == "scoring" else { throw .invalidParameter("include must be: scoring", field: "include") }
            result.includeScoring = true
        }
        if let raw = parameters["algorithm"] {
            guard let algorithm = SleepAlgorithm(rawValue: raw) else {
                throw .invalidParameter(
                    "algorithm must be one of: " + SleepAlgorithm.allCases.map(\.rawValue).joined(separator: ", "), field: "algorithm")
            }
            result.shading = algorithm
        }
        let overrides = parameters.filter { !reserved.contains($0.key) }
        if !overrides.isEmpty { result.settings = try settings(overriding: overrides) }
        return result
    }

    /// The settings as the JSON object the response echoes.
    public static func json(_ settings: ActigraphySettings) -> JSONValue {
        // Encoding a plain Codable struct of numbers, booleans and strings cannot fail.
        let bytes = (try? JSONEncoder().encode(settings)) ?? Data("{}".utf8)
        return (try? JSONParser.parse(bytes)) ?? .object([:])
    }

    static func settings(overriding overrides: [String: String]) throws(VigilError) -> ActigraphySettings {
        var object = json(ActigraphySettings())
        for (name, raw) in overrides.sorted(by: { $0.key < $1.key }) {
            let path = name.split(separator: ".").map(String.init)
            guard let current = object.value(at: path[...]) else {
                throw .invalidParameter("unknown parameter \(name); settings are: \(names(object).joined(separator: ", "))", field: name)
            }
            let value: JSONValue
            switch current {
            case .bool:
                guard let flag = Bool(raw) else { throw .invalidParameter("\(name) must be true or false", field: name) }
                value = .bool(flag)
            case .array(let items):
                let numbers = raw.split(separator: ",").compactMap { Double($0) }.filter(\.isFinite)
                guard numbers.count == items.count, raw.split(separator: ",", omittingEmptySubsequences: false).count == items.count else {
                    throw .invalidParameter("\(name) must be \(items.count) comma-separated numbers", field: name)
                }
                value = .array(numbers.map(JSONValue.number))
            default:
                if let number = Double(raw), number.isFinite {
                    value = .number(number)
                } else if case .string = current {
                    value = .string(raw)
                } else if raw == "automatic" {
                    value = .string(raw)
                } else {
                    throw .invalidParameter("\(name) must be a number", field: name)
                }
            }
            object.set(value, at: path[...])
        }
        let settings: ActigraphySettings
        do {
            settings = try JSONDecoder().decode(ActigraphySettings.self, from: Data(object.canonicalJSON.utf8))
        } catch {
            throw .invalidParameter("the algorithm settings are not valid: \(overrides.keys.sorted().joined(separator: ", "))")
        }
        let problems = settings.rangeProblems
        guard problems.isEmpty else {
            let details = problems.map { ErrorDetail(index: nil, field: $0.name, reason: "\($0.name) \($0.reason)") }
            throw VigilError(
                .badRequest, code: "invalid_parameter",
                message: problems.count == 1 ? details[0].reason : "\(problems.count) settings are out of range", details: details)
        }
        return settings
    }

    static func names(_ object: JSONValue, prefix: String = "") -> [String] {
        guard case .object(let members) = object else { return [prefix] }
        return members.keys.sorted().flatMap { key -> [String] in
            guard let member = members[key] else { return [] }
            if case .object = member { return names(member, prefix: prefix + key + ".") }
            return [prefix + key]
        }
    }
}

extension JSONValue {
    func value(at path: ArraySlice<String>) -> JSONValue? {
        guard let key = path.first else { return self }
        return self[key]?.value(at: path.dropFirst())
    }

    mutating func set(_ value: JSONValue, at path: ArraySlice<String>) {
        guard let key = path.first else {
            self = value
            return
        }
        guard case .object(var members) = self, var member = members[key] else { return }
        member.set(value, at: path.dropFirst())
        members[key] = member
        self = .object(members)
    }
}
