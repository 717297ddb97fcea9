// stream-load: WebSocket load client for Vigil's /v1/stream (see README.md).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

do {
    let options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
    try LoadTest(options: options).run()
    exit(0)
} catch {
    var stderr = StandardError()
    print("stream-load: \(error)", to: &stderr)
    print(Options.usage, to: &stderr)
    exit(2)
}
