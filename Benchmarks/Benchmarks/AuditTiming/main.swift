import Foundation
import Logging
import VigilCore
@_spi(Benchmarks) import VigilStorage

// Times the three audit targets of issue 4 on SQLite (synchronous=FULL) and prints medians.
//   AuditTiming append [rounds]                  10,000 events in 1,000-event transactions
//   AuditTiming make-chain PATH                  writes a 1,000,000-event chain to PATH (once)
//   AuditTiming verify PATH [rounds]             verifies the chain at PATH
//   AuditTiming ingest [rounds] [batches]        100-sample batches with the audit event on and off, alternating

func event(_ i: Int) -> AuditEvent {
    AuditEvent(
        organization: "bench",
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

func samples(_ count: Int, seed: Int) throws -> [Sample] {
    var parts = [String]()
    for i in 0..<count {
        let start = Timestamp(microseconds: Int64(1_795_000_000 + seed * 100_000 + i * 5) * 1_000_000, offsetSeconds: 3600).rfc3339
        parts.append(
            #"{"uuid":"\#(UUID().uuidString)","type":"heart_rate","start":"\#(start)","value":\#(55 + i % 60),"unit":"count/min","source":{"name":"Apple Watch","bundle_id":"com.apple.health","device":"Watch7,1"},"metadata":{"HKMetadataKeyHeartRateMotionContext":\#(i % 3)}}"#
        )
    }
    let body = Array(#"{"samples":[\#(parts.joined(separator: ","))]}"#.utf8)
    return try SampleBatchValidator().validate(try SampleBatchDecoder().parse(body))
}

func openStore(_ path: String? = nil) async throws -> VigilStore {
    let file: String
    if let path {
        file = path
    } else {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-timing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        file = directory.appendingPathComponent("vigil.sqlite").path
    }
    var logger = Logger(label: "timing")
    logger.logLevel = .error
    // SQLite's `synchronous` (FULL, as the server's default, unless AUDIT_TIMING_SYNCHRONOUS says otherwise).
    let synchronous = ProcessInfo.processInfo.environment["AUDIT_TIMING_SYNCHRONOUS"] ?? "FULL"
    let store = try await VigilStore.open(url: "sqlite:" + file, sqliteSynchronous: synchronous, logger: logger)
    _ = try await store.migrate()
    return store
}

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func format(_ values: [Double], scale: Double, unit: String) -> String {
    let shown = values.map { String(format: "%.0f", $0 * scale) }.joined(separator: " ")
    return String(format: "median %.0f %@ (runs: %@)", median(values) * scale, unit, shown)
}

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "append":
    let rounds = arguments.dropFirst().first.flatMap { Int($0) } ?? 7
    let events = (0..<1000).map(event)
    var times = [Double]()
    for _ in 0..<rounds {
        let store = try await openStore()
        try await store.audit.append(Array(events.prefix(1)))  // warm the head cache and connections
        times.append(try await seconds { for _ in 0..<10 { try await store.audit.append(events) } })
        try await store.driver.close()
    }
    print("append 10,000 events in 1,000-event transactions: \(format(times, scale: 1000, unit: "ms"))")
    print(String(format: "  = %.0f events/s (median)", 10_000 / median(times)))
case "make-chain":
    let store = try await openStore(String(arguments.dropFirst().first!))
    let batch = (0..<10_000).map(event)
    for _ in 0..<100 { try await store.audit.append(batch) }
    try await store.driver.close()
case "verify":
    let store = try await openStore(String(arguments.dropFirst().first!))
    let rounds = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 5
    let pageSize = arguments.dropFirst(3).first.flatMap { Int($0) } ?? 10_000
    var times = [Double]()
    for _ in 0..<rounds {
        var chains = [AuditChainVerifier]()
        times.append(try await seconds { chains = try await store.audit.verify(pageSize: pageSize) })
        precondition(chains.count == 1 && chains[0].count == 1_000_000 && chains[0].firstBreak == nil, "\(chains)")
    }
    print("verify 1,000,000 events: \(format(times, scale: 1000, unit: "ms"))")
    try await store.driver.close()
case "ingest":
    // Two stores, one with the audit event and one without, fed batch by batch in turns: both modes see
    // the same machine load (the difference is a few percent; load swings between rounds are larger).
    let rounds = arguments.dropFirst().first.flatMap { Int($0) } ?? 5
    let count = arguments.dropFirst(2).first.flatMap { Int($0) } ?? 300
    var perBatch: [Bool: [Double]] = [true: [], false: []]
    // The same batch index in both modes, back to back: the pair sees the same moment's machine load.
    var differences = [Double]()
    let subject = Username("bench-patient")!
    for _ in 0..<rounds {
        let stores = [false: try await openStore(), true: try await openStore()]
        let batches = try (0..<count).map { try samples(100, seed: $0) }
        var times: [Bool: [Double]] = [true: [], false: []]
        for (i, batch) in batches.enumerated() {
            for audited in i % 2 == 0 ? [false, true] : [true, false] {
                let store = stores[audited]!
                let elapsed = try await seconds {
                    if audited {
                        _ = try await store.samples.insert(batch, subject: subject, audit: event(i))
                    } else {
                        _ = try await store.samples.insertWithoutAudit(batch, subject: subject)
                    }
                }
                if i >= 10 { times[audited]!.append(elapsed) }
            }
            if i >= 10 { differences.append(times[true]!.last! - times[false]!.last!) }
        }
        for audited in [false, true] {
            perBatch[audited]!.append(median(times[audited]!))
            try await stores[audited]!.driver.close()
        }
    }
    let off = perBatch[false]!
    let on = perBatch[true]!
    print("ingest 100-sample batch, audit off: \(format(off, scale: 1e6, unit: "µs"))")
    print("ingest 100-sample batch, audit on:  \(format(on, scale: 1e6, unit: "µs"))")
    let overheads = zip(on, off).map { $0 / $1 - 1 }
    print(
        String(
            format: "  audit overhead: %+.1f %% (medians; per round: %@)", (median(on) / median(off) - 1) * 100,
            overheads.map { String(format: "%+.1f", $0 * 100) }.joined(separator: " ")))
    print(
        String(
            format: "  paired: median(on − off) of the same batch = %.0f µs = %+.1f %% of the median batch without audit (%d pairs)",
            median(differences) * 1e6, median(differences) / median(off) * 100, differences.count))
case "golden":
    // The hash of one event with every escaping case: must print the same before and after a change to the encoding.
    let event = AuditEvent(
        organization: "org \"1\" \\ é",
        actor: .init(userID: "u-1", username: "dr-ü😀", role: nil),
        action: .sampleRead,
        resourceType: "Observation",
        subject: nil,
        recordCount: 0,
        outcome: .denied,
        occurredAt: -1_795_000_000_123_456,
        origin: .init(requestID: "r\t1\u{01}", clientAddress: nil, userAgent: "agent\n2\r")
    )
    print(AuditChain.hash(event, sequence: Int64.max, previousHash: AuditChain.genesis))
default:
    print("usage: AuditTiming append|make-chain PATH|verify PATH|ingest")
}
