/// The sample types Vigil accepts, with their canonical units, accepted units and valid ranges
/// (the type table of API.md).
public enum SampleType: String, Sendable, CaseIterable, Codable {
    case heartRate = "heart_rate"
    case restingHeartRate = "resting_heart_rate"
    case heartRateVariabilitySDNN = "heart_rate_variability_sdnn"
    case oxygenSaturation = "oxygen_saturation"
    case respiratoryRate = "respiratory_rate"
    case stepCount = "step_count"
    case activityCount = "activity_count"
    case activeEnergyBurned = "active_energy_burned"
    case bodyMass = "body_mass"
    case bodyTemperature = "body_temperature"
    case bloodGlucose = "blood_glucose"
    case sleepAnalysis = "sleep_analysis"

    /// How a sample of this type carries its value.
    public enum Kind: Sendable {
        case quantity(QuantityRule)
        case category(Set<String>)
    }

    public var kind: Kind {
        switch self {
        case .heartRate: .quantity(.init("count/min", ["count/min": .identity, "bpm": .identity], 20...300))
        case .restingHeartRate: .quantity(.init("count/min", ["count/min": .identity, "bpm": .identity], 20...250))
        case .heartRateVariabilitySDNN: .quantity(.init("ms", ["ms": .identity, "s": .scale(1000)], 0...500))
        case .oxygenSaturation: .quantity(.init("%", ["%": .identity, "fraction": .scale(100)], 50...100))
        case .respiratoryRate: .quantity(.init("count/min", ["count/min": .identity], 4...60))
        case .stepCount: .quantity(.init("count", ["count": .identity], 0...100_000))
        case .activityCount: .quantity(.init("count", ["count": .identity], 0...1_000_000))
        case .activeEnergyBurned: .quantity(.init("kcal", ["kcal": .identity, "kJ": .divide(4.184)], 0...10_000))
        case .bodyMass: .quantity(.init("kg", ["kg": .identity, "lb": .scale(0.453_592_37)], 1...650))
        case .bodyTemperature: .quantity(.init("degC", ["degC": .identity, "degF": .fahrenheitToCelsius], 30...45))
        case .bloodGlucose: .quantity(.init("mg/dL", ["mg/dL": .identity, "mmol/L": .scale(18.0156)], 10...1000))
        case .sleepAnalysis: .category(["in_bed", "awake", "asleep_unspecified", "asleep_core", "asleep_deep", "asleep_rem"])
        }
    }

    /// A sorted list of the category values, for messages.
    public static let sleepCategories = ["asleep_core", "asleep_deep", "asleep_rem", "asleep_unspecified", "awake", "in_bed"]
}

/// How a quantity type is validated and converted.
public struct QuantityRule: Sendable {
    public let canonicalUnit: String
    /// Accepted unit → conversion to the canonical unit. Units compare case-sensitively.
    public let units: [String: UnitConversion]
    /// Inclusive range of the canonical value.
    public let range: ClosedRange<Double>

    init(_ canonicalUnit: String, _ units: [String: UnitConversion], _ range: ClosedRange<Double>) {
        self.canonicalUnit = canonicalUnit
        self.units = units
        self.range = range
    }

    /// Units in the order a message should list them: canonical first.
    public var unitNames: [String] {
        [canonicalUnit] + units.keys.filter { $0 != canonicalUnit }.sorted()
    }
}

/// A conversion to a canonical unit.
public enum UnitConversion: Sendable {
    case identity
    case scale(Double)
    case divide(Double)
    case fahrenheitToCelsius

    /// Converts and rounds to 1e-9 so that a value sent in another unit lands on the decimal a person
    /// would write (98.6 degF is 37 degC, not 36.99999999999999). Canonical-unit values are kept as sent.
    public func apply(_ value: Double) -> Double {
        let converted: Double
        switch self {
        case .identity: return value
        case .scale(let factor): converted = value * factor
        case .divide(let divisor): converted = value / divisor
        case .fahrenheitToCelsius: converted = (value - 32) * 5 / 9
        }
        guard converted.isFinite, abs(converted) < 1e6 else { return converted }
        return (converted * 1e9).rounded() / 1e9
    }
}
