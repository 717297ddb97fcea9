// swift-tools-version: 6.1
// Benchmarks live in their own package so that `swift test` in the main package stays lean.
// Run: cd Benchmarks && swift package benchmark
// Audit targets, median of repeated runs: swift build -c release --product AuditTiming && .build/release/AuditTiming
// Parser time per byte, 1 KB to 8 MB: swift build -c release --product ParserScaling && .build/release/ParserScaling
import PackageDescription

let package = Package(
    name: "VigilBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Vigil", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "VigilBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "VigilCore", package: "Vigil"),
                .product(name: "VigilStorage", package: "Vigil"),
            ],
            path: "Benchmarks/VigilBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // A plain timing tool for the audit targets: builds without the benchmark package, prints medians.
        .executableTarget(
            name: "AuditTiming",
            dependencies: [
                .product(name: "VigilCore", package: "Vigil"),
                .product(name: "VigilStorage", package: "Vigil"),
            ],
            path: "Benchmarks/AuditTiming"
        ),
        // Time per byte of the request parsers on pathological inputs, 1 KB to 8 MB (linear time shows flat).
        .executableTarget(
            name: "ParserScaling",
            dependencies: [.product(name: "VigilCore", package: "Vigil")],
            path: "Benchmarks/ParserScaling"
        ),
    ],
    swiftLanguageModes: [.v6]
)
