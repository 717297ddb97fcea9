#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct UsageError: Error, CustomStringConvertible {
    let description: String
}

/// Command-line options, parsed by hand (`--name value` pairs).
struct Options: Sendable {
    static let usage = """
        usage: stream-load --pid SERVER_PID --user U --password P [--url http://127.0.0.1:18095]
                           [--connections 10000] [--batches 20] [--rate 2] [--threads 1] [--subject SUBJECT]
        """

    var host = "127.0.0.1"
    var port = 18095
    var pid: Int32 = 0
    var user = ""
    var password = ""
    var connections = 10_000
    var batches = 20
    var rate = 2.0
    var threads = 1
    var subject = ""

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var url = "http://127.0.0.1:18095"
        var pid: Int32?
        var user: String?
        var password: String?
        var subject: String?
        var index = 0
        while index < arguments.count {
            let name = arguments[index]
            if name == "-h" || name == "--help" {
                print(usage)
                exit(0)
            }
            guard index + 1 < arguments.count else { throw UsageError(description: "missing value for \(name)") }
            let value = arguments[index + 1]
            index += 2
            func int(_ minimum: Int) throws -> Int {
                guard let number = Int(value), number >= minimum else {
                    throw UsageError(description: "\(name) needs an integer ≥ \(minimum), got \(value)")
                }
                return number
            }
            switch name {
            case "--url": url = value
            case "--pid": pid = Int32(try int(1))
            case "--user": user = value
            case "--password": password = value
            case "--connections": options.connections = try int(1)
            case "--batches": options.batches = try int(1)
            case "--rate":
                guard let rate = Double(value), rate > 0 else { throw UsageError(description: "--rate needs a number > 0") }
                options.rate = rate
            case "--threads": options.threads = try int(1)
            case "--subject": subject = value
            default: throw UsageError(description: "unknown option \(name)")
            }
        }
        guard let pid, let user, let password else {
            throw UsageError(description: "--pid, --user and --password are required")
        }
        options.pid = pid
        options.user = user
        options.password = password
        options.subject = subject ?? user
        (options.host, options.port) = try parseURL(url)
        return options
    }

    /// `http://host:port` (no path, no TLS).
    static func parseURL(_ url: String) throws -> (String, Int) {
        guard url.hasPrefix("http://") else { throw UsageError(description: "--url must start with http://") }
        var rest = url.dropFirst("http://".count)
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("/") else { throw UsageError(description: "--url takes no path: \(url)") }
        if let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) {
            return (String(rest[..<colon]), port)
        }
        return (String(rest), 80)
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        writeAll(2, string)
    }
}

/// Writes a whole string to a file descriptor (unbuffered, so lines appear at once when piped).
func writeAll(_ fd: Int32, _ string: String) {
    var bytes = Array(string.utf8)[...]
    while !bytes.isEmpty {
        let count = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return }
        bytes = bytes.dropFirst(count)
    }
}

/// Prints one line to standard output, immediately.
func emit(_ line: String) {
    writeAll(1, line + "\n")
}

func warn(_ message: String) {
    var stream = StandardError()
    print("stream-load: \(message)", to: &stream)
}

@inline(__always)
private func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, pointer, count)
}
