import Crypto
import Foundation
import Logging

/// Finds the access-token signing key. There is no built-in default: a configured secret or file
/// wins; in development a random key is generated once and kept in the data directory (mode 0600);
/// production refuses to start without one (checked in ``VigilConfig/load(environment:overrides:)``).
public enum SigningKey {
    public static let developmentKeyFile = "jwt-signing.key"

    public static func resolve(_ config: VigilConfig, logger: Logger) throws -> [UInt8] {
        if let secret = config.jwtSecret { return secret }
        if let path = config.jwtSecretFile { return try read(path) }
        guard config.mode != .production else {
            throw VigilConfig.Invalid(description: "production mode needs VIGIL_JWT_SECRET or VIGIL_JWT_SECRET_FILE")
        }
        let path = URL(fileURLWithPath: config.dataDirectory).appendingPathComponent(developmentKeyFile).path
        if FileManager.default.fileExists(atPath: path) { return try read(path) }
        try FileManager.default.createDirectory(
            atPath: config.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
        guard FileManager.default.createFile(atPath: path, contents: Data(key.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw VigilConfig.Invalid(description: "cannot write the development signing key to \(path)")
        }
        logger.warning(
            "generated a random development signing key; set VIGIL_JWT_SECRET or VIGIL_JWT_SECRET_FILE in production",
            metadata: ["path": .string(path)]
        )
        return Array(key.utf8)
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VigilConfig.Invalid(description: "cannot read the signing key file \(path)")
        }
        let key = Array(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard key.count >= 32 else { throw VigilConfig.Invalid(description: "the signing key in \(path) must be at least 32 bytes") }
        return key
    }
}
