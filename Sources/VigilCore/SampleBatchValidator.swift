/// Turns a parsed ingestion body into canonical ``Sample``s, or fails with every problem of every
/// sample (API.md: a batch is all or nothing, and a `422` lists each invalid sample).
public struct SampleBatchValidator: Sendable {
    public static let maxSamples = 10_000
    public static let maxMetadataBytes = 4096
    public static let maxSourceFieldLength = 256
    /// Keys of `source` that are kept; others are dropped like any unknown key.
    public static let sourceKeys = ["bundle_id", "device", "name", "os_version", "product_type", "version"]

    public init() {}

    public func validate(_ body: JSONValue) throws(VigilError) -> [Sample] {
        guard case .array(let items) = body["samples"] else {
            throw VigilError(
                .validation,
                code: "validation_failed",
                message: "body must be an object with a 'samples' array",
                details: [ErrorDetail(index: nil, field: "samples", reason: "body must be an object with a 'samples' array")]
            )
        }
        guard items.count <= Self.maxSamples else {
            throw VigilError(
                .payloadTooLarge,
                code: "batch_too_large",
                message: "a batch holds at most \(Self.maxSamples) samples (got \(items.count))"
            )
        }
        var samples = [Sample]()
        samples.reserveCapacity(items.count)
        var details = [ErrorDetail]()
        var invalid = 0
        for (index, item) in items.enumerated() {
            var problems = [ErrorDetail]()
            if let sample = validateSample(item, index: index, problems: &problems) {
                samples.append(sample)
            } else {
                invalid += 1
                details.append(contentsOf: problems)
            }
        }
        guard invalid == 0 else {
            throw VigilError(
                .validation,
                code: "validation_failed",
                message: invalid == 1 ? "1 sample is invalid" : "\(invalid) samples are invalid",
                details: details
            )
        }
        return samples
    }

    func validateSample(_ item: JSONValue, index: Int, problems: inout [ErrorDetail]) -> Sample? {
        func problem(_ field: String, _ reason: String) {
            problems.append(ErrorDetail(index: index, field: field, reason: reason))
        }
        guard case .object(let fields) = item else {
            problem("sample", "sample must be a JSON object")
            return nil
        }
        func present(_ key: String) -> JSONValue? {
            switch fields[key] {
            case nil, .null?: return nil
            case let value?: return value
            }
        }

        var uuid: String?
        switch present("uuid") {
        case nil: problem("uuid", "uuid is required")
        case .string(let text)?:
            if Self.isUUID(text) { uuid = text.uppercased() } else { problem("uuid", "uuid must be a UUID (8-4-4-4-12 hex digits)") }
        default: problem("uuid", "uuid must be a string")
        }

        var type: SampleType?
        switch present("type") {
        case nil: problem("type", "type is required")
        case .string(let text)?:
            type = SampleType(rawValue: text)
            if type == nil { problem("type", "unknown type; one of: " + SampleType.allCases.map(\.rawValue).joined(separator: ", ")) }
        default: problem("type", "type must be a string")
        }

        let start = timestamp(present("start"), field: "start", required: true, problem: problem)
        let end = timestamp(present("end"), field: "end", required: false, problem: problem)
        if let start, let end, end.microseconds < start.microseconds {
            problem("end", "end must not be before start")
        }

        var value: Double?
        var unit: String?
        var category: String?
        if let type {
            switch type.kind {
            case .quantity(let rule):
                (value, unit) = quantity(
                    type, rule, value: present("value"), unit: present("unit"), category: present("category"), problem: problem)
            case .category(let allowed):
                category = self.category(
                    type, allowed, value: present("value"), unit: present("unit"), category: present("category"), problem: problem)
            }
        }

        let sourceJSON = source(present("source"), problem: problem)
        let metadataJSON = metadata(present("metadata"), problem: problem)

        guard problems.isEmpty, let uuid, let type, let start else { return nil }
        return Sample(
            uuid: uuid,
            type: type,
            start: start,
            endMicroseconds: end?.microseconds ?? start.microseconds,
            value: value,
            unit: unit,
            category: category,
            sourceJSON: sourceJSON,
            metadataJSON: metadataJSON
        )
    }

    private func timestamp(_ value: JSONValue?, field: String, required: Bool, problem: (String, String) -> Void) -> Timestamp? {
        guard let value else {
            if required { problem(field, "\(field) is required") }
            return nil
        }
        guard case .string(let text) = value else {
            problem(field, "\(field) must be an RFC 3339 timestamp with a UTC offset")
            return nil
        }
        do {
            return try Timestamp(rfc3339: text)
        } catch .fractionTooPrecise {
            problem(field, "\(field) must not be more precise than a microsecond")
        } catch {
            problem(field, "\(field) must be an RFC 3339 timestamp with a UTC offset")
        }
        return nil
    }

    private func quantity(
        _ type: SampleType,
        _ rule: QuantityRule,
        value: JSONValue?,
        unit: JSONValue?,
        category: JSONValue?,
        problem: (String, String) -> Void
    ) -> (Double?, String?) {
        if category != nil { problem("category", "\(type.rawValue) is a quantity type: send value and unit") }
        var number: Double?
        switch value {
        case nil: problem("value", "value is required for \(type.rawValue)")
        case .integer(let v)?: number = Double(v)
        case .number(let v)? where v.isFinite: number = v
        default: problem("value", "value must be a number")
        }
        var conversion: UnitConversion?
        switch unit {
        case nil: problem("unit", "unit is required for \(type.rawValue)")
        case .string(let name)?:
            conversion = rule.units[name]
            if conversion == nil { problem("unit", "\(type.rawValue) accepts units \(rule.unitNames.joined(separator: ", "))") }
        default: problem("unit", "unit must be a string")
        }
        guard let number, let conversion else { return (nil, nil) }
        let canonical = conversion.apply(number)
        guard canonical.isFinite, rule.range.contains(canonical) else {
            let bounds = "\(JSONValue.format(rule.range.lowerBound))...\(JSONValue.format(rule.range.upperBound))"
            problem("value", "\(type.rawValue) must be within \(bounds) \(rule.canonicalUnit)")
            return (nil, nil)
        }
        return (canonical, rule.canonicalUnit)
    }

    private func category(
        _ type: SampleType,
        _ allowed: Set<String>,
        value: JSONValue?,
        unit: JSONValue?,
        category: JSONValue?,
        problem: (String, String) -> Void
    ) -> String? {
        if value != nil { problem("value", "\(type.rawValue) is a category type: send category, not value") }
        if unit != nil { problem("unit", "\(type.rawValue) is a category type: send category, not unit") }
        switch category {
        case nil:
            problem("category", "category is required for \(type.rawValue)")
        case .string(let name)? where allowed.contains(name):
            return name
        default:
            problem("category", "\(type.rawValue) category must be one of \(allowed.sorted().joined(separator: ", "))")
        }
        return nil
    }

    private func source(_ value: JSONValue?, problem: (String, String) -> Void) -> String? {
        guard let value else { return nil }
        guard case .object(let fields) = value else {
            problem("source", "source must be a JSON object")
            return nil
        }
        var kept = [String: JSONValue]()
        for key in Self.sourceKeys {
            switch fields[key] {
            case nil, .null?: continue
            case .string(let text)? where text.count <= Self.maxSourceFieldLength: kept[key] = .string(text)
            case .string?: problem("source.\(key)", "source.\(key) must be at most \(Self.maxSourceFieldLength) characters")
            default: problem("source.\(key)", "source.\(key) must be a string")
            }
        }
        return kept.isEmpty ? nil : JSONValue.object(kept).canonicalJSON
    }

    private func metadata(_ value: JSONValue?, problem: (String, String) -> Void) -> String? {
        guard let value else { return nil }
        guard case .object = value else {
            problem("metadata", "metadata must be a JSON object")
            return nil
        }
        guard value.isFinite else {
            problem("metadata", "metadata numbers must be finite")
            return nil
        }
        let text = value.canonicalJSON
        guard text.utf8.count <= Self.maxMetadataBytes else {
            problem("metadata", "metadata must be at most \(Self.maxMetadataBytes) bytes of compact JSON (is \(text.utf8.count))")
            return nil
        }
        return text
    }

    static func isUUID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (i, byte) in bytes.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                let isHex =
                    (48...57).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
                guard isHex else { return false }
            }
        }
        return true
    }
}
