import Foundation
import SQLKit
import VigilCore

/// Carries realtime-session audio frames between nodes sharing one PostgreSQL, with `NOTIFY`: audio is
/// relayed live and never stored. A frame larger than one notification (PostgreSQL allows under 8,000
/// bytes) is split into base64 chunks sent in one transaction, which PostgreSQL delivers together and in
/// order; receivers put them back together (``SampleEventLog/listen(onCursor:audioIgnoring:onAudio:)``
/// listens on the same connection as the sample events). With SQLite there is one node and nothing to carry.
public struct SessionAudioBus: Sendable {
    let driver: any DatabaseDriver
    public static let channel = "vigil_session_audio"
    /// Base64 characters per notification (the header takes the rest of the 8,000 bytes).
    static let chunkCharacters = 7_600

    init(driver: any DatabaseDriver) {
        self.driver = driver
    }

    /// Whether frames go to other nodes at all.
    public var isShared: Bool { driver is PostgresDriver }

    /// Sends an encoded frame (``RealtimeAudioFrame/encoded()``) to the other nodes.
    public func publish(_ frame: [UInt8], from node: String) async throws {
        guard isShared else { return }
        let text = Data(frame).base64EncodedString()
        let id = UUID().uuidString.prefix(8)
        let count = max(1, (text.utf8.count + Self.chunkCharacters - 1) / Self.chunkCharacters)
        let chunks = (0..<count).map { index in
            let start = text.utf8.index(text.utf8.startIndex, offsetBy: index * Self.chunkCharacters)
            let end = text.utf8.index(start, offsetBy: Self.chunkCharacters, limitedBy: text.utf8.endIndex) ?? text.utf8.endIndex
            return "\(node) \(id) \(index) \(count) " + String(text[start..<end])
        }
        try await driver.write { db in
            for chunk in chunks { try await db.raw("SELECT pg_notify(\(bind: Self.channel), \(bind: chunk))").run() }
        }
    }
}

/// Puts chunked frames back together: `<node> <id> <index> <count> <base64>`. Chunks of one frame arrive
/// consecutively (one transaction), so only the frame in progress is kept.
struct FrameAssembly {
    private var current: (key: Substring, parts: [Substring])?

    mutating func add(_ payload: String, ignoring ownNode: String) -> [UInt8]? {
        let fields = payload.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0] != ownNode, let index = Int(fields[2]), let count = Int(fields[3]), count > 0, index < count
        else { return nil }
        let key = payload[fields[0].startIndex..<fields[1].endIndex]
        if index == 0 {
            current = (key, [fields[4]])
        } else {
            guard current?.key == key, current?.parts.count == index else {
                current = nil
                return nil
            }
            current?.parts.append(fields[4])
        }
        guard current?.parts.count == count, let parts = current?.parts else { return nil }
        current = nil
        return Data(base64Encoded: parts.joined()).map(Array.init)
    }
}
