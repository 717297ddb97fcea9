import Crypto
import VigilAnalytics

/// Turns a recording read from a file into `activity_count` ingestion batches (the API's JSON body),
/// so an import takes the same validation and storage path as `POST …/samples`.
///
/// Each epoch's uuid is derived from the subject, its UTC start and the epoch length, so importing the
/// same file twice stores nothing twice. Missing epochs are not stored: they come back as gaps.
public struct ActigraphyImport: Sendable {
    public let recording: ActigraphyRecording
    public let subject: SubjectID
    /// The file's local times are in this fixed UTC offset (a file carries no zone).
    public let utcOffsetSeconds: Int32
    /// Samples per request body; the API's batch limit is 10,000.
    public var batchSize = 5_000

    public init(recording: ActigraphyRecording, subject: SubjectID, utcOffsetSeconds: Int32) {
        self.recording = recording
        self.subject = subject
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// Epoch indexes that are stored (not missing), in order.
    public var storedEpochs: [Int] { recording.values.indices.filter { !recording.values[$0].isNaN } }

    /// The JSON body for a run of stored epochs (indexes into ``storedEpochs``'s values).
    public func body(epochs: ArraySlice<Int>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(epochs.count * 200)
        out.append(contentsOf: #"{"samples":["#.utf8)
        for (position, index) in epochs.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            let startUTC = recording.startLocalMicros + Int64(index) * recording.epochMicros - Int64(utcOffsetSeconds) * 1_000_000
            out.append(contentsOf: #"{"uuid":""#.utf8)
            out.append(contentsOf: uuid(startUTC: startUTC).utf8)
            out.append(contentsOf: #"","type":"activity_count","unit":"count","value":"#.utf8)
            out.append(contentsOf: JSONValue.format(recording.values[index]).utf8)
            out.append(contentsOf: #","start":""#.utf8)
            Timestamp(microseconds: startUTC, offsetSeconds: utcOffsetSeconds).appendRFC3339(to: &out)
            out.append(contentsOf: #"","end":""#.utf8)
            Timestamp(microseconds: startUTC + recording.epochMicros, offsetSeconds: utcOffsetSeconds).appendRFC3339(to: &out)
            out.append(contentsOf: #""}"#.utf8)
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    /// A name-based UUID (version 8 layout) from SHA-256 of the epoch's identity.
    func uuid(startUTC: Int64) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("vigil-actigraphy-epoch-v1\u{0}\(subject.value)\u{0}\(startUTC)\u{0}\(recording.epochMicros)".utf8))
        var bytes = Array(hasher.finalize().prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { byte in
            let text = String(byte, radix: 16, uppercase: true)
            return byte < 16 ? "0" + text : text
        }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }
}
