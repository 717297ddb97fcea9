import ArgumentParser
import Foundation
import VigilCore
import VigilStorage

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect and protect the audit trail.", subcommands: [Verify.self, Anchor.self, SignHeads.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify every organisation's audit hash chain and its signed head: exit 0 if intact, 1 at the first problem.",
            discussion: """
                With VIGIL_AUDIT_KEY (or _FILE) each chain head's signature is checked, so a chain rewritten by someone \
                who could write the database but lacks the key is found. With --anchors, heads printed earlier by \
                `vigil audit anchor` are checked too: an organisation that vanished, or a chain rolled back past an \
                anchored head, is reported.
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "A file of heads printed by `vigil audit anchor` (JSON lines) that the chains must still contain.")
        var anchors: String?

        func run() async throws {
            let config = try database.config()
            let logger = Logs.bootstrap(level: config.logLevel, stream: .standardError)
            let anchored = try anchors.map(AnchorFile.read) ?? []
            let store = try await database.openStore(config, logger: logger)
            let (chains, anchorProblems) = try await store.withRunning {
                let chains = try await store.audit.verify()
                var problems = [String]()
                for anchor in anchored {
                    let chain = chains.first { $0.organization == anchor.organization }
                    guard let chain else {
                        problems.append("organization \(anchor.organization) vanished: anchored at sequence \(anchor.sequence)")
                        continue
                    }
                    let stored = try await store.audit.eventHash(organization: anchor.organization, sequence: anchor.sequence)
                    if chain.firstBreak == nil, chain.count < anchor.sequence {
                        problems.append(
                            "organization \(anchor.organization) rolled back: anchored at sequence \(anchor.sequence), the chain ends at \(chain.count)")
                    } else if let stored, stored != anchor.hash {
                        problems.append("organization \(anchor.organization): event \(anchor.sequence) differs from its anchored hash")
                    } else if stored == nil, chain.firstBreak == nil {
                        problems.append("organization \(anchor.organization): anchored event \(anchor.sequence) is missing")
                    }
                }
                return (chains, problems)
            }
            var broken = !anchorProblems.isEmpty
            for chain in chains {
                if let failure = chain.firstBreak {
                    broken = true
                    print("BROKEN \(failure.description)")
                } else {
                    let signature = store.audit.signsHeads ? (chain.count == 0 ? "" : ", head signature valid") : ", head not signed (no VIGIL_AUDIT_KEY)"
                    print("ok organization \(chain.organization): \(chain.count) events, head \(chain.headHash)\(signature)")
                }
            }
            for problem in anchorProblems { print("BROKEN \(problem)") }
            if !anchored.isEmpty, anchorProblems.isEmpty { print("ok: \(anchored.count) anchored heads found in their chains") }
            if chains.isEmpty { print("ok: no audit events yet") }
            if broken { throw ExitCode(1) }
        }
    }

    struct Anchor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every organisation's signed chain head as JSON lines, for keeping off-site.",
            discussion: "Keep the output somewhere the database's writers cannot reach; `vigil audit verify --anchors FILE` checks it later.")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let config = try database.config()
            let logger = Logs.bootstrap(level: config.logLevel, stream: .standardError)
            let store = try await database.openStore(config, logger: logger)
            let heads = try await store.withRunning { try await store.audit.storedHeads() }
            let at = Timestamp(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000), offsetSeconds: 0).rfc3339
            for head in heads {
                let line = JSONValue.object([
                    "organization": .string(head.organization), "seq": .integer(head.sequence), "hash": .string(head.hash),
                    "signature": head.signature.map(JSONValue.string) ?? .null, "anchored_at": .string(at),
                ])
                print(line.canonicalJSON)
            }
        }
    }

    struct SignHeads: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-heads",
            abstract: "Sign the heads of intact chains with VIGIL_AUDIT_KEY (after first configuring a key, or changing it).",
            discussion: "Every chain is verified first; the head of a broken chain is never signed.")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let config = try database.config()
            let logger = Logs.bootstrap(level: config.logLevel, stream: .standardError)
            let store = try await database.openStore(config, logger: logger)
            guard store.audit.signsHeads else { throw ValidationError("set VIGIL_AUDIT_KEY or VIGIL_AUDIT_KEY_FILE first") }
            let signed = try await store.withRunning { try await store.audit.signIntactHeads() }
            for (organization, outcome) in signed { print("\(outcome) organization \(organization)") }
        }
    }
}

/// Heads printed by `vigil audit anchor`.
enum AnchorFile {
    struct Entry {
        let organization: String
        let sequence: Int64
        let hash: String
    }

    static func read(_ path: String) throws -> [Entry] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        var entries = [Entry]()
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
            guard let value = try? JSONParser.parse(Array(line)), case .string(let organization)? = value["organization"],
                case .integer(let sequence)? = value["seq"], case .string(let hash)? = value["hash"]
            else { throw ValidationError("\(path), line \(number + 1): not a head printed by `vigil audit anchor`") }
            entries.append(Entry(organization: organization, sequence: sequence, hash: hash))
        }
        return entries
    }
}
