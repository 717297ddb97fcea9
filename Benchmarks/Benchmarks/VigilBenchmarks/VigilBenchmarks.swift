import Benchmark
import Foundation
@_spi(Benchmarks) import VigilStorage
import VigilCore

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(5), maxIterations: 1000)

    // Ingestion parsing: the hand-written parser against Foundation's JSONDecoder on the same body.
    let body100 = Fixtures.batchBody(samples: 100)
    let body10k = Fixtures.batchBody(samples: 10_000)
    Benchmark("parse 100-sample batch: JSONParser") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try JSONParser.parse(body100)) }
    }
    Benchmark("parse 100-sample batch: Foundation JSONSerialization") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try JSONSerialization.jsonObject(with: Data(body100))) }
    }
    Benchmark("parse 10,000-sample batch: JSONParser") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try JSONParser.parse(body10k)) }
    }
    Benchmark("parse 10,000-sample batch: Foundation JSONSerialization") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try JSONSerialization.jsonObject(with: Data(body10k))) }
    }
    Benchmark("parse + validate 10,000-sample batch") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try SampleBatchValidator().validate(try SampleBatchDecoder().parse(body10k)))
        }
    }

    // Audit chain: hashing, appending in batches, verifying a million events.
    let events = (0..<1000).map { Fixtures.event($0) }
    Benchmark("audit: hash-link 1,000 events") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(AuditChain.link(events, after: (0, AuditChain.genesis))) }
    }
    Benchmark(
        "audit: append 10,000 events in 1,000-event transactions (SQLite FULL)",
        configuration: .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(20), maxIterations: 50)
    ) { benchmark in
        let store = try await Fixtures.sqliteStore()
        benchmark.startMeasurement()
        for _ in 0..<10 { try await store.audit.append(events) }
        benchmark.stopMeasurement()
        try await store.driver.close()
    }
    Benchmark(
        "audit: verify 1,000,000 events (SQLite)",
        configuration: .init(metrics: [.wallClock], maxDuration: .seconds(120), maxIterations: 3)
    ) { benchmark in
        let store = try await Fixtures.sqliteStore()
        let batch = (0..<10_000).map { Fixtures.event($0) }
        for _ in 0..<100 { try await store.audit.append(batch) }
        benchmark.startMeasurement()
        let chains = try await store.audit.verify()
        benchmark.stopMeasurement()
        precondition(chains.count == 1 && chains[0].count == 1_000_000 && chains[0].firstBreak == nil)
        try await store.driver.close()
    }

    // Ingest with and without its audit event, same transaction shape, 100-sample batches.
    for audited in [true, false] {
        Benchmark(
            "ingest 100-sample batch (SQLite FULL), audit \(audited ? "on" : "off")",
            configuration: .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(10), maxIterations: 2000)
        ) { benchmark in
            let store = try await Fixtures.sqliteStore()
            let subject = Username("bench-patient")!
            let batches = try (0..<benchmark.scaledIterations.count).map { try Fixtures.samples(100, seed: $0) }
            let event = Fixtures.event(0)
            benchmark.startMeasurement()
            for batch in batches {
                if audited {
                    blackHole(try await store.samples.insert(batch, subject: subject, audit: event))
                } else {
                    blackHole(try await store.samples.insertWithoutAudit(batch, subject: subject))
                }
            }
            benchmark.stopMeasurement()
            try await store.driver.close()
        }
    }
}
