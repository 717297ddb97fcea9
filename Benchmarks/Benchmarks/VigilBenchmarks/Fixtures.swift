import Foundation
import Logging
import VigilCore
import VigilStorage

/// Inputs shared by the benchmarks: ingestion bodies shaped like the load harness's (4 in 5 heart
/// rates with source and metadata, 1 in 5 step counts over 60 s) and scratch SQLite databases.
enum Fixtures {
    static func batchBody(samples count: Int, seed: Int = 0) -> [UInt8] {
        var parts = [String]()
        parts.reserveCapacity(count)
        for i in 0..<count {
            let uuid = UUID().uuidString
            let start = Timestamp(microseconds: Int64(1_795_000_000 + seed * 100_000 + i * 5) * 1_000_000, offsetSeconds: 3600).rfc3339
            if i % 5 == 4 {
                let end = Timestamp(microseconds: Int64(1_795_000_060 + seed * 100_000 + i * 5) * 1_000_000, offsetSeconds: 3600).rfc3339
                parts.append(#"{"uuid":"\#(uuid)","type":"step_count","start":"\#(start)","end":"\#(end)","value":\#(40 + i % 60),"unit":"count"}"#)
            } else {
                parts.append(
                    #"{"uuid":"\#(uuid)","type":"heart_rate","start":"\#(start)","value":\#(55 + i % 60),"unit":"count/min","source":{"name":"Apple Watch","bundle_id":"com.apple.health","device":"Watch7,1"},"metadata":{"HKMetadataKeyHeartRateMotionContext":\#(i % 3)}}"#
                )
            }
        }
        return Array(#"{"samples":[\#(parts.joined(separator: ","))]}"#.utf8)
    }

    static func samples(_ count: Int, seed: Int) throws -> [Sample] {
        try SampleBatchValidator().validate(try SampleBatchDecoder().parse(batchBody(samples: count, seed: seed)))
    }

    static func event(_ i: Int, organization: String = "bench") -> AuditEvent {
        AuditEvent(
            organization: organization,
            actor: .init(userID: "3f1c2a9e-0000-4000-8000-000000000001", username: "dr-bench", role: "clinician"),
            action: i % 4 == 0 ? .sampleWrite : .sampleRead,
            resourceType: "Observation",
            subject: "patient-\(i % 100)",
            recordCount: 100,
            outcome: .success,
            occurredAt: 1_795_000_000_000_000 + Int64(i) * 1000,
            origin: .init(requestID: "bench-\(i)", clientAddress: "10.0.0.7", userAgent: "bench")
        )
    }

    /// A new SQLite store (WAL, synchronous=FULL) with the schema applied.
    static func sqliteStore() async throws -> VigilStore {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let store = try await VigilStore.open(url: "sqlite:" + directory.appendingPathComponent("vigil.sqlite").path, logger: logger)
        _ = try await store.migrate()
        return store
    }
}
