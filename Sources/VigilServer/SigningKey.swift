import Crypto
import Foundation
import Logging

/// Finds the access-token signing key. There is no built-in default: a configured secret or file
/// wins; in development a random key is generated once and kept in the data directory (mode 0600);
/// production refuses to start without one (checked in ``VigilConfig/load(environment:overrides:)``).
public enum SigningKey {
    public static let developmentKeyFile = "jwt-signing.key"

    public static func resolve(_ config: VigilConfig, logger: Logger) throws -> [UInt8] {
        let key = try SecretKey.resolve(
            secret: config.jwtSecret, file: config.jwtSecretFile, variable: "VIGIL_JWT_SECRET", purpose: "signing key",
            developmentFile: config.mode == .production ? nil : developmentKeyFile, config: config, logger: logger)
        guard let key else { throw VigilConfig.Invalid(description: "production mode needs VIGIL_JWT_SECRET or VIGIL_JWT_SECRET_FILE") }
        return key
    }
}

/// Finds the audit-head signing key (`VIGIL_AUDIT_KEY` or `VIGIL_AUDIT_KEY_FILE`, ≥ 32 bytes): required in
/// production, generated once in the data directory in development, none in test mode unless configured
/// (heads are then unsigned and `vigil audit verify` says so). Keep it outside the database and its backups:
/// whoever has both can rewrite the audit trail undetected.
public enum AuditKey {
    public static let developmentKeyFile = "audit-signing.key"

    public static func resolve(_ config: VigilConfig, logger: Logger) throws -> [UInt8]? {
        let key = try SecretKey.resolve(
            secret: config.auditKey, file: config.auditKeyFile, variable: "VIGIL_AUDIT_KEY", purpose: "audit key",
            developmentFile: config.mode == .development ? developmentKeyFile : nil, config: config, logger: logger)
        if key == nil, config.mode == .production {
            throw VigilConfig.Invalid(description: "production mode needs VIGIL_AUDIT_KEY or VIGIL_AUDIT_KEY_FILE")
        }
        return key
    }
}

/// A secret given directly, read from a file, or (outside production) generated once into the data directory.
enum SecretKey {
    static func resolve(
        secret: [UInt8]?, file: String?, variable: String, purpose: String, developmentFile: String?, config: VigilConfig,
        logger: Logger
    ) throws -> [UInt8]? {
        if let secret { return secret }
        if let file { return try read(file) }
        guard let developmentFile else { return nil }
        let path = URL(fileURLWithPath: config.dataDirectory).appendingPathComponent(developmentFile).path
        if FileManager.default.fileExists(atPath: path) { return try read(path) }
        try FileManager.default.createDirectory(
            atPath: config.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.map { String(format: "%02x", $0) }.joined()
        guard FileManager.default.createFile(atPath: path, contents: Data(key.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw VigilConfig.Invalid(description: "cannot write the development \(purpose) to \(path)")
        }
        logger.warning(
            "generated a random development \(purpose); set \(variable) or \(variable)_FILE in production",
            metadata: ["path": .string(path)]
        )
        return Array(key.utf8)
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VigilConfig.Invalid(description: "cannot read the key file \(path)")
        }
        let key = Array(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard key.count >= 32 else { throw VigilConfig.Invalid(description: "the key in \(path) must be at least 32 bytes") }
        return key
    }
}
