import CryptoCore

/// Hashes codes as `HMAC-SHA256(secret, recordID ‖ code)`. The record id salts the hash, so equal
/// codes of different records never share a hash.
struct CodeHasher: Sendable {
    /// One keyed context per secret, primary first, set up once (profile finding 4: keying per
    /// code was most of the HMAC's cost).
    private let primary: HMAC.SHA256Key
    private let keys: [HMAC.SHA256Key]

    init(secrets: ServerSecrets) {
        primary = HMAC.SHA256Key(secrets.primary)
        keys = [primary] + secrets.previous.map(HMAC.SHA256Key.init)
    }

    /// Codes longer than this cannot be ours; they are not worth hashing.
    static let longestPlausibleCode = 64

    /// The hash a new record stores: under the primary secret.
    func hash(recordID: String, code: String) -> [UInt8] {
        primary.mac(utf8: recordID, code)
    }

    /// The hashes a submitted code would have under every configured secret (key rotation).
    func candidates(recordID: String, code: String) -> [[UInt8]] {
        guard code.utf8.count <= Self.longestPlausibleCode else { return [] }
        return keys.map { $0.mac(utf8: recordID, code) }
    }
}
