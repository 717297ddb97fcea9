import Testing

@testable import VigilCore

@Suite("SampleBatchValidator")
struct SampleBatchValidatorTests {
    let validator = SampleBatchValidator()

    func validate(_ json: String) throws(VigilError) -> [Sample] {
        try validator.validate(try SampleBatchDecoder().parse(Array(json.utf8)))
    }

    @Test(
        "conversions land on the decimal a person writes",
        arguments: [
            ("body_temperature", 98.6, "degF", 37.0),
            ("blood_glucose", 5.5, "mmol/L", 99.0858),
            ("oxygen_saturation", 0.97, "fraction", 97.0),
            ("active_energy_burned", 418.4, "kJ", 100.0),
            ("heart_rate_variability_sdnn", 0.045, "s", 45.0),
            ("body_mass", 100, "lb", 45.359237),
        ])
    func conversions(type: String, value: Double, unit: String, expected: Double) throws {
        let samples = try validate(
            #"{"samples":[{"uuid":"6F9619FF-8B86-D011-B42D-00C04FC964FF","type":"\#(type)","start":"2026-11-20T07:15:00Z","value":\#(value),"unit":"\#(unit)"}]}"#
        )
        #expect(samples.first?.value == expected)
    }

    @Test("over 10,000 samples is batch_too_large before any sample is judged")
    func batchTooLarge() {
        let body = "{\"samples\":[" + Array(repeating: "1", count: 10_001).joined(separator: ",") + "]}"
        #expect(throws: VigilError(.payloadTooLarge, code: "batch_too_large", message: "a batch holds at most 10000 samples (got 10001)")) {
            try validate(body)
        }
    }

    @Test("metadata: canonical text, 4 KiB limit, finite numbers only")
    func metadata() throws {
        let sample = try validate(
            #"{"samples":[{"uuid":"6F9619FF-8B86-D011-B42D-00C04FC964FF","type":"step_count","start":"2026-11-20T07:15:00Z","value":1,"unit":"count","metadata":{"b":1,"a":[true,null]}}]}"#
        )
        #expect(sample.first?.metadataJSON == #"{"a":[true,null],"b":1}"#)
        for metadata in [#"{"x":1e400}"#, #"{"x":"\#(String(repeating: "y", count: 4090))"}"#, "[1]"] {
            #expect(throws: VigilError.self) {
                try validate(
                    #"{"samples":[{"uuid":"6F9619FF-8B86-D011-B42D-00C04FC964FF","type":"step_count","start":"2026-11-20T07:15:00Z","value":1,"unit":"count","metadata":\#(metadata)}]}"#
                )
            }
        }
    }
}
