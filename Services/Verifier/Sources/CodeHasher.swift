import CryptoCore

/// Hashes codes as `HMAC-SHA256(secret, recordID ‖ code)`. The record id salts the hash, so equal
/// codes of different records never share a hash.
struct CodeHasher: Sendable {
    let secrets: ServerSecrets

    /// Codes longer than this cannot be ours; they are not worth hashing.
    static let longestPlausibleCode = 64

    /// The hash a new record stores: under the primary secret.
    func hash(recordID: String, code: String) -> [UInt8] {
        Self.mac(secret: secrets.primary, recordID: recordID, code: code)
    }

    /// The hashes a submitted code would have under every configured secret (key rotation).
    func candidates(recordID: String, code: String) -> [[UInt8]] {
        guard code.utf8.count <= Self.longestPlausibleCode else { return [] }
        return secrets.all.map { Self.mac(secret: $0, recordID: recordID, code: code) }
    }

    static func mac(secret: [UInt8], recordID: String, code: String) -> [UInt8] {
        HMAC.sha256(key: secret, message: Array(recordID.utf8) + Array(code.utf8))
    }
}
