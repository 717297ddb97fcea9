#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// Opens connections on a given event loop, retrying failed connects and upgrades (5 attempts in all).
final class Connector: Sendable {
    let address: SocketAddress
    let hostHeader: String
    let token: String
    let subscribe: [UInt8]

    init(options: Options, token: String) throws {
        address = try SocketAddress.makeAddressResolvingHost(options.host, port: options.port)
        hostHeader = "\(options.host):\(options.port)"
        self.token = token
        subscribe = Array(#"{"type":"subscribe","subject":\#(jsonString(options.subject))}"#.utf8)
    }

    /// Call on `loop`.
    func open(on loop: EventLoop, stats: NIOLoopBound<LoopStats>, attempt: Int = 0) {
        let handshake = loop.makePromise(of: Void.self)
        let request = Array("""
            GET /v1/stream HTTP/1.1\r
            Host: \(hostHeader)\r
            Upgrade: websocket\r
            Connection: Upgrade\r
            Sec-WebSocket-Key: \(base64(randomBytes(16)))\r
            Sec-WebSocket-Version: 13\r
            Authorization: Bearer \(token)\r
            \r

            """.utf8)
        let subscribe = self.subscribe
        ClientBootstrap(group: loop)
            .connectTimeout(.seconds(60))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = StreamClientHandler(stats: stats.value, request: request, subscribe: subscribe, handshake: handshake)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(to: address)
            .whenFailure { handshake.fail($0) }
        handshake.futureResult.whenFailure { error in
            if attempt + 1 < 5 {
                loop.scheduleTask(in: .milliseconds(500 * Int64(attempt + 1))) {
                    self.open(on: loop, stats: stats, attempt: attempt + 1)
                }
            } else {
                warn("connection failed after 5 attempts: \(error)")
                stats.value.failed += 1
            }
        }
    }
}

struct Counts: Sendable {
    var ready = 0, failed = 0, closedByServer = 0, otherMessages = 0, pings = 0
    var firstOther: String?
}

struct LoadTest {
    let options: Options

    func run() throws {
        raiseFileLimit()
        let login = try httpPost(host: options.host, port: options.port, path: "/v1/auth/token",
                                 json: #"{"username":\#(jsonString(options.user)),"password":\#(jsonString(options.password))}"#)
        guard login.status == 200, let token = jsonStringField(login.body, "access_token") else {
            throw UsageError(description: "login failed: HTTP \(login.status) \(login.body.prefix(300))")
        }
        let connector = try Connector(options: options, token: token)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        defer { try? group.syncShutdownGracefully() }
        let loops = Array(group.makeIterator())
        let stats = try loops.map { loop in try loop.submit { NIOLoopBound(LoopStats(), eventLoop: loop) }.wait() }

        func counts() throws -> Counts {
            var total = Counts()
            for (loop, bound) in zip(loops, stats) {
                let part = try loop.submit {
                    let s = bound.value
                    return Counts(ready: s.ready, failed: s.failed, closedByServer: s.closedByServer,
                                  otherMessages: s.otherMessages, pings: s.pings, firstOther: s.firstOther)
                }.wait()
                total.ready += part.ready
                total.failed += part.failed
                total.closedByServer += part.closedByServer
                total.otherMessages += part.otherMessages
                total.pings += part.pings
                total.firstOther = total.firstOther ?? part.firstOther
            }
            return total
        }

        // Connect in waves of 500 every 0.2 s, spread over the loops.
        let baseline = try rssKiB(options.pid)
        let started = monotonicNanos()
        func elapsed(since start: UInt64) -> Double { Double(monotonicNanos() - start) / 1e9 }
        for waveStart in stride(from: 0, to: options.connections, by: 500) {
            let waveCount = min(500, options.connections - waveStart)
            for (index, loop) in loops.enumerated() {
                let share = waveCount / loops.count + (index < waveCount % loops.count ? 1 : 0)
                let bound = stats[index]
                loop.execute { for _ in 0..<share { connector.open(on: loop, stats: bound) } }
            }
            sleepSeconds(0.2)
        }
        var current = try counts()
        while current.ready < options.connections && current.ready + current.failed < options.connections
                && elapsed(since: started) < 300 {
            sleepSeconds(0.5)
            current = try counts()
        }
        let connected = current.ready
        sleepSeconds(3)  // let the server settle before measuring
        let connectSeconds = elapsed(since: started)  // as stream_load.py: includes the 3 s settle
        let held = try rssKiB(options.pid)
        emit(#"{"connections_requested": \#(options.connections), "connections_subscribed": \#(connected), "#
              + #""connect_seconds": \#(rounded(connectSeconds, 1)), "server_rss_before_kib": \#(baseline), "#
              + #""server_rss_held_kib": \#(held), "#
              + #""kib_per_idle_connection": \#(rounded(Double(held - baseline) / Double(max(connected, 1)), 2))}"#)

        // Ingest one-sample batches at the given rate; the clock starts just before each request.
        var committed: [UInt64] = []
        let cpuBefore = try cpuMillis(options.pid)
        let clientCPUBefore = ownCPUMillis()
        let path = "/v1/subjects/\(options.subject)/samples"
        for batch in 0..<options.batches {
            let hour = (batch / 60) % 24, minute = batch % 60
            let start = "2026-11-20T\(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute):00Z"
            let body = #"{"samples": [{"uuid": "\#(uuid4())", "type": "heart_rate", "value": \#(60 + batch % 40), "#
                + #""unit": "count/min", "start": "\#(start)"}]}"#
            let before = monotonicNanos()
            let response = try httpPost(host: options.host, port: options.port, path: path, json: body, token: token)
            if !(200..<300).contains(response.status) {
                warn("batch \(batch): HTTP \(response.status) \(response.body.prefix(300))")
            }
            committed.append(before)
            sleepSeconds(1 / options.rate - elapsed(since: before))
        }
        sleepSeconds(10)
        let serverCPU = try cpuMillis(options.pid) - cpuBefore
        let clientCPU = ownCPUMillis() - clientCPUBefore

        var received: [Int64: [UInt64]] = [:]
        for (loop, bound) in zip(loops, stats) {
            let part = try loop.submit { bound.value.received }.wait()
            received.merge(part) { $0 + $1 }
        }
        let cursors = received.keys.sorted().suffix(options.batches)
        var latencies: [Double] = []
        var perBatch: [String] = []
        for (batch, cursor) in cursors.enumerated() where batch < committed.count {
            let times = received[cursor]!.sorted()
            for time in times {
                latencies.append(Double(Int64(bitPattern: time &- committed[batch])) / 1e6)
            }
            let first = Double(Int64(bitPattern: times[0] &- committed[batch])) / 1e6
            let last = Double(Int64(bitPattern: times[times.count - 1] &- committed[batch])) / 1e6
            perBatch.append("\(Int(first))-\(Int(last))")
        }
        warn("per batch first-last receipt, ms: " + perBatch.joined(separator: " "))
        latencies.sort()
        let deliveries = latencies.count
        func stat(_ value: Double?) -> String { value.map { "\(rounded($0, 1))" } ?? "null" }
        emit(#"{"batches": \#(options.batches), "deliveries": \#(deliveries), "#
              + #""expected_deliveries": \#(options.batches * connected), "#
              + #""fanout_p50_ms": \#(stat(latencies.isEmpty ? nil : latencies[deliveries / 2])), "#
              + #""fanout_p99_ms": \#(stat(latencies.isEmpty ? nil : latencies[Int(Double(deliveries) * 0.99)])), "#
              + #""fanout_max_ms": \#(stat(latencies.last)), "#
              + #""server_cpu_ms_during_fanout": \#(rounded(serverCPU, 1)), "#
              + #""server_cpu_us_per_delivery": \#(rounded(serverCPU * 1000 / Double(max(deliveries, 1)), 2)), "#
              + #""client_threads": \#(options.threads)}"#)
        let final = try counts()
        warn("connections failed \(final.failed), closed by server \(final.closedByServer), "
             + "pings answered \(final.pings), other messages \(final.otherMessages); "
             + "client CPU during fan-out \(rounded(clientCPU, 1)) ms (\(rounded(clientCPU * 1000 / Double(max(deliveries, 1)), 2)) µs per delivery)"
             + (final.firstOther.map { " (first: \($0))" } ?? ""))

        // Close every connection: close frame, then wait for the server's (2 s at most).
        for (loop, bound) in zip(loops, stats) {
            try loop.flatSubmit {
                let closing = bound.value.handlers.compactMap { $0.initiateClose(timeout: .seconds(2)) }
                bound.value.handlers.removeAll()
                return EventLoopFuture.andAllComplete(closing, on: loop)
            }.wait()
        }
    }
}

/// `value` rounded to `digits` decimals, printed like Python's `round` (shortest form).
func rounded(_ value: Double, _ digits: Int) -> Double {
    let scale = pow(10, Double(digits))
    return (value * scale).rounded() / scale
}
