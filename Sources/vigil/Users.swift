import ArgumentParser
import Foundation
import VigilCore
import VigilServer
import VigilStorage

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage users.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user. The password is read from standard input (one line)."
        )

        @Option(help: "Username ([A-Za-z0-9][A-Za-z0-9._-]{0,63}); a patient's username is its subject id.") var username: String
        @Option(help: "One of: patient, clinician, admin, auditor.") var role: String
        @Option(name: .customLong("org"), help: "Organisation.") var organization: String = "default"
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard Username(username) != nil else { throw ValidationError("--username must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}") }
            guard Role(rawValue: role) != nil else { throw ValidationError("--role must be one of: patient, clinician, admin, auditor") }
            guard Username(organization) != nil else { throw ValidationError("--org must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}") }
        }

        func run() async throws {
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                throw ValidationError("expected the password on standard input (one line)")
            }
            guard PasswordPolicy.isAcceptable(password) else {
                throw ValidationError("the \(PasswordPolicy.reason) (72 is bcrypt's limit), as the API requires")
            }
            let config = try database.config()
            let logger = Logs.bootstrap(level: config.logLevel, stream: .standardError)
            let store = try await database.openStore(config, logger: logger)
            let record = UserRecord(
                id: UUID().uuidString.lowercased(),
                username: Username(username)!,
                passwordHash: try await PasswordHasher(cost: config.auth.bcryptCost).hash(password),
                role: Role(rawValue: role)!,
                organization: organization
            )
            do {
                try await store.withRunning {
                    try await store.migrate()
                    // The command line is an actor too: the creation is in the organisation's audit trail.
                    let event = AuditEvent(
                        organization: organization,
                        actor: .init(username: "vigil-cli"),
                        action: .userCreate,
                        resourceType: "Person",
                        subject: record.role == .patient ? username : nil,
                        recordCount: 1,
                        outcome: .success,
                        occurredAt: Int64(Date().timeIntervalSince1970 * 1_000_000),
                        origin: .init(requestID: "cli-" + UUID().uuidString.lowercased(), userAgent: "vigil users add")
                    )
                    try await store.auth.createUser(record, audit: event)
                }
            } catch let error as VigilError {
                throw CommandFailure(description: error.message)
            }
            print("created \(role) \(username) in organisation \(organization)")
        }
    }
}

/// A failure reported as `Error: <description>` with exit code 1 (no usage text: the arguments were fine).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
}
