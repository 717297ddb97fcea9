import Synchronization
import VigilCore

/// One authenticated WebSocket connection as the hub sees it: an id, its caller and a bounded queue of
/// outgoing frames. A consumer too slow to drain the queue is dropped (never allowed to grow memory):
/// ``send(_:)`` answers `false`, the queue ends, and the writer closes the socket with 4008.
final class StreamConnection: Sendable, Identifiable {
    enum Outgoing: Sendable {
        case text([UInt8])
        case binary([UInt8])
        /// Close after everything queued before it was written.
        case close(RealtimeCloseCode, String)
    }

    let id: Int
    let identity: Identity
    let outgoing: AsyncStream<Outgoing>
    private let continuation: AsyncStream<Outgoing>.Continuation
    private let slow = Mutex(false)

    init(id: Int, identity: Identity, bufferLimit: Int) {
        self.id = id
        self.identity = identity
        (outgoing, continuation) = AsyncStream.makeStream(of: Outgoing.self, bufferingPolicy: .bufferingOldest(bufferLimit))
    }

    /// Queues a message; `false` when the queue is full (the connection is then closed as a slow consumer).
    @discardableResult
    func send(_ message: [UInt8]) -> Bool {
        enqueue(.text(message))
    }

    /// Queues a binary frame (session audio).
    @discardableResult
    func sendBinary(_ frame: [UInt8]) -> Bool {
        enqueue(.binary(frame))
    }

    /// Queues a close behind the messages already queued.
    func close(_ code: RealtimeCloseCode, _ reason: String) {
        enqueue(.close(code, reason))
        continuation.finish()
    }

    private func enqueue(_ item: Outgoing) -> Bool {
        switch continuation.yield(item) {
        case .enqueued: return true
        case .dropped:
            slow.withLock { $0 = true }
            continuation.finish()
            return false
        case .terminated: return false
        @unknown default: return false
        }
    }

    var wasTooSlow: Bool { slow.withLock { $0 } }

    /// No more messages (the connection is closing).
    func finish() {
        continuation.finish()
    }
}

/// Server → client messages of the stream protocol, as JSON text.
enum StreamMessages {
    /// `{"type":"sample","cursor":N,"subject":…,"samples":[…]}` — one message per committed batch; `nil` when
    /// a type filter leaves nothing.
    static func sample(_ event: SampleEvent, types: Set<String>?) -> [UInt8]? {
        var samples = Array(event.samplesJSON.utf8)
        if let types {
            guard case .array(let items) = (try? JSONParser.parse(samples)) ?? .null else { return nil }
            let kept = items.filter { item in
                if case .string(let type)? = item["type"] { return types.contains(type) }
                return false
            }
            guard !kept.isEmpty else { return nil }
            samples = []
            JSONValue.array(kept).appendCanonical(to: &samples)
        }
        var out = [UInt8](#"{"type":"sample","cursor":"#.utf8)
        out += String(event.cursor).utf8
        out += #","subject":"#.utf8
        JSONValue.appendQuoted(event.subject, to: &out)
        out += #","samples":"#.utf8
        out += samples
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"type":"subscribed","subject","cursor","types"?,"id"?}`: `cursor` is where the live stream starts.
    static func subscribed(_ subject: String, cursor: Int64, types: Set<String>?, id: String?) -> [UInt8] {
        var fields: [String: JSONValue] = ["type": .string("subscribed"), "subject": .string(subject), "cursor": .integer(cursor)]
        if let types { fields["types"] = .array(types.sorted().map(JSONValue.string)) }
        if let id { fields["id"] = .string(id) }
        var out = [UInt8]()
        JSONValue.object(fields).appendCanonical(to: &out)
        return out
    }
}
