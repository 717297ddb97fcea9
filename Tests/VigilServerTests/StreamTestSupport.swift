import Foundation
import HTTPTypes
import HummingbirdTesting
import HummingbirdWSTesting
import NIOCore
import NIOWebSocket
import Synchronization
import Testing
import VigilCore

/// A WebSocket conversation in a test: messages sent in order, every message received kept as JSON.
final class StreamProbe: Sendable {
    let received = Mutex<[String]>([])
    let closeCode = Mutex<UInt16?>(nil)
    let binary = Mutex<[[UInt8]]>([])
    /// The server ended the conversation (its reading side finished).
    let ended = Mutex(false)

    var messages: [[String: Any]] {
        received.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func samples() -> [[String: Any]] { messages.filter { $0["type"] as? String == "sample" } }

    /// Session events (`joined`, `left`, `message`, `closed`) in arrival order.
    func sessionEvents() -> [[String: Any]] { messages.filter { $0["type"] as? String == "session" } }

    /// Waits (30 s at most) until `condition` holds; records an issue with what arrived when it does not.
    func wait(_ what: String, _ condition: @Sendable (StreamProbe) -> Bool) async throws {
        let started = ContinuousClock.now
        while !condition(self) {
            guard ContinuousClock.now - started < .seconds(30) else {
                Issue.record("timed out waiting for \(what); received \(received.withLock { $0 })")
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func has(_ event: String, user: String? = nil) -> Bool {
        sessionEvents().contains { $0["event"] as? String == event && (user == nil || $0["user"] as? String == user) }
    }

    /// Sample events' cursors in arrival order.
    var cursors: [Int] { samples().compactMap { $0["cursor"] as? Int } }
}

extension TestApp {
    /// Opens `/v1/stream` (with a bearer token when given), runs `script` with a `send` function and the probe,
    /// keeps reading until `until` holds (or 60 s pass), then closes.
    @discardableResult
    func stream(
        token: String?, until done: @escaping @Sendable (StreamProbe) -> Bool = { _ in false },
        binary: [UInt8]? = nil,
        _ script: @escaping @Sendable (_ send: @Sendable (String) async throws -> Void, StreamProbe) async throws -> Void = { _, _ in }
    ) async throws -> StreamProbe {
        let probe = StreamProbe()
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        let close = try await client.ws("/v1/stream", configuration: .init(maxFrameSize: 1 << 22, additionalHeaders: headers)) {
            inbound, outbound, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: 1 << 24) {
                        if case .binary(let buffer) = message { probe.binary.withLock { $0.append(Array(buffer: buffer)) } }
                        guard case .text(let text) = message else { continue }
                        probe.received.withLock { $0.append(text) }
                    }
                    probe.ended.withLock { $0 = true }
                }
                group.addTask {
                    try await script(
                        { text in
                            if text == "<binary>", let binary {
                                try await outbound.write(.binary(ByteBuffer(bytes: binary)))
                            } else {
                                try await outbound.write(.text(text))
                            }
                        }, probe)
                    let started = ContinuousClock.now
                    while !done(probe), !probe.ended.withLock({ $0 }), ContinuousClock.now - started < .seconds(60) {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    if !probe.ended.withLock({ $0 }) { try? await outbound.close(.normalClosure, reason: nil) }
                }
                try await group.next()
                try await group.next()
            }
        }
        if let close { probe.closeCode.withLock { $0 = UInt16(webSocketErrorCode: close.closeCode) } }
        return probe
    }
}

extension TestApp {
    /// `count` heart-rate samples one second apart, starting `offset` seconds after a fixed instant.
    func postHeartRates(_ subject: String, token: String, count: Int, offset: Int) async throws {
        let base = 1_795_000_000
        let samples = (0..<count).map { index in
            SampleJSON.quantity(
                "heart_rate", Double(60 + index % 40), "count/min",
                start: Timestamp(microseconds: Int64(base + offset + index) * 1_000_000, offsetSeconds: 0).rfc3339)
        }
        let response = try await post("/v1/subjects/\(subject)/samples", json: SampleJSON.batch(samples), token: token)
        #expect(response.status == .ok)
    }
}
