import ArgumentParser
import Foundation
import VigilCore
import VigilServer
import VigilStorage

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import recordings.", subcommands: [ImportActigraphy.self])
}

struct ImportActigraphy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actigraphy",
        abstract: "Import a CSV (timestamp,activity) or Actiwatch AWD recording as activity_count samples.",
        discussion: """
            Every epoch goes through the same validation and storage as POST /v1/subjects/{subject}/samples, in batches of \
            5,000, each audited. Epoch uuids are derived from the subject and the epoch's time, so importing a file again \
            stores nothing twice. Missing epochs (empty activity) are not stored. The file's local times are taken in one \
            fixed UTC offset: --utc-offset, or the system time zone's offset at the first epoch.
            """
    )

    @Argument(help: "The recording: a CSV with the header timestamp,activity, or an AWD file.") var file: String
    @Option(help: "The subject (a patient's username).") var subject: String
    @Option(name: .customLong("utc-offset"), help: "UTC offset of the file's local times, e.g. +01:00 (default: the system's).")
    var utcOffset: String?
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard SubjectID(subject) != nil else { throw ValidationError("--subject must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}") }
        if let utcOffset, Self.offsetSeconds(utcOffset) == nil { throw ValidationError("--utc-offset must look like +01:00 or -05:30") }
    }

    func run() async throws {
        guard let bytes = FileManager.default.contents(atPath: file) else { throw CommandFailure(description: "cannot read \(file)") }
        let parsed: ActigraphyFile
        do {
            parsed = try ActigraphyFile.read(Array(bytes))
        } catch {
            throw CommandFailure(description: "\(file): \(error.description)")
        }
        let recording = parsed.recording
        let offset = utcOffset.flatMap(Self.offsetSeconds) ?? Self.systemOffset(atLocalMicros: recording.startLocalMicros)
        let plan = ActigraphyImport(recording: recording, subject: SubjectID(subject)!, utcOffsetSeconds: offset)

        let config = try database.config()
        let logger = Logs.bootstrap(level: config.logLevel, stream: .standardError)
        let store = try await database.openStore(config, logger: logger)
        let audit = AuditWriter(repository: store.audit, logger: logger)
        let service = SampleService(repository: store.samples, access: AccessControl(facts: store.access, audit: audit))
        let origin = OperatorOrigin(
            operatorName: "vigil-cli",
            origin: .init(requestID: "cli-" + UUID().uuidString.lowercased(), userAgent: "vigil import actigraphy"))
        let epochs = plan.storedEpochs
        let total: IngestResult
        do {
            total = try await store.withRunning {
                try await store.migrate()
                var progress = Progress(total: epochs.count)
                var total = IngestResult(accepted: 0, duplicates: 0)
                for start in stride(from: 0, to: epochs.count, by: plan.batchSize) {
                    let slice = epochs[start..<min(start + plan.batchSize, epochs.count)]
                    do {
                        let result = try await service.ingest(plan.body(epochs: slice), subject: plan.subject, asOperator: origin)
                        total.accepted += result.accepted
                        total.duplicates += result.duplicates
                    } catch let error as VigilError {
                        throw CommandFailure(description: Self.describe(error, slice: slice, format: parsed.format))
                    }
                    progress.advance(by: slice.count)
                }
                progress.finish()
                return total
            }
        } catch let error as VigilError {
            throw CommandFailure(description: error.message)
        }
        print(
            "imported \(file) (\(parsed.format.rawValue), \(JSONValue.format(recording.epochSeconds)) s epochs) for \(subject): "
                + "\(total.accepted) stored, \(total.duplicates) already present, \(recording.values.count - epochs.count) missing")
    }

    /// Names the file line of the first invalid epoch.
    static func describe(_ error: VigilError, slice: ArraySlice<Int>, format: ActigraphyFile.Format) -> String {
        guard let detail = error.details.first, let index = detail.index else { return error.message }
        let epoch = slice[slice.startIndex + index]
        let line = epoch + (format == .csv ? 2 : 8)
        return "\(error.message); first problem at line \(line): \(detail.field): \(detail.reason)"
    }

    static func offsetSeconds(_ text: String) -> Int32? {
        let bytes = Array(text.utf8)
        guard bytes.count == 6, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"), bytes[3] == UInt8(ascii: ":"),
            let hours = Int32(text.dropFirst().prefix(2)), let minutes = Int32(text.suffix(2)), hours <= 23, minutes <= 59
        else { return nil }
        return (bytes[0] == UInt8(ascii: "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
    }

    /// The system zone's offset at a local time (looked up at the instant that local time would be in UTC,
    /// which is close enough to pick the right side of a daylight-saving change on any day but that one).
    static func systemOffset(atLocalMicros micros: Int64) -> Int32 {
        Int32(TimeZone.current.secondsFromGMT(for: Date(timeIntervalSince1970: Double(micros) / 1e6)))
    }
}

/// A progress bar on standard error when it is a terminal; silent otherwise.
struct Progress {
    let total: Int
    var done = 0
    let enabled = isatty(STDERR_FILENO) == 1

    init(total: Int) { self.total = total }

    mutating func advance(by count: Int) {
        done += count
        guard enabled, total > 0 else { return }
        let width = 40
        let filled = done * width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) epochs".utf8))
    }

    func finish() {
        if enabled, total > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
