import ArgumentParser
import Foundation
import VigilCore
import VigilStorage

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Inspect the audit trail.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify every organisation's audit hash chain: exit 0 if intact, 1 at the first broken link."
        )

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let config = try database.config()
            let logger = Logs.bootstrap(level: config.logLevel, stream: .standardError)
            let store = try await database.openStore(config, logger: logger)
            let chains = try await store.withRunning { try await store.audit.verify() }
            var broken = false
            for chain in chains {
                if let failure = chain.firstBreak {
                    broken = true
                    print("BROKEN \(failure.description)")
                } else {
                    print("ok organization \(chain.organization): \(chain.count) events, head \(chain.headHash)")
                }
            }
            if chains.isEmpty { print("ok: no audit events yet") }
            if broken { throw ExitCode(1) }
        }
    }
}
