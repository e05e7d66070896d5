import Contracts
import CryptoCore

/// The key layout of the Redis store. Every key is `<namespace>:{<tag>}:<kind>`, where the hash tag
/// names the one entity the key belongs to, so Redis Cluster puts all of an entity's keys in one
/// slot (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags):
///
/// | tag | entity | keys |
/// |---|---|---|
/// | `s…` | a send bucket: a normalized recipient (`email:foo@x.com`) or a client IP (`ip:…`) | `:sends` sorted set of send slots (member = verification id, score = time); for a recipient also `:g:<exact>`, the current Generic record of each exact identifier that normalizes to it |
/// | `i…` | an interaction | `:ix` hash: event, expiry, and its records (one per identifier type) |
/// | `l…` | an exact identifier value, for the lockout sentinel | `:fails` sorted set of failed verifies, `:lock` end of the lock |
/// | `v…` | a verification id | `:slots` the send buckets its issue took slots in (for `releaseSlots`) |
///
/// Tags are hashes (the first 128 bits of SHA-256 in hex), so an identifier with `{`, `}` or
/// anything else cannot break the tag, and no recipient appears in a key name.
struct RedisKeys: Sendable {
    let namespace: String

    /// Letters, digits, `_`, `-` and `.`: safe in a key and in a `SCAN MATCH` pattern.
    static func isValidNamespace(_ namespace: String) -> Bool {
        !namespace.isEmpty && namespace.utf8.count <= 64 && namespace.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == "."
        }
    }

    func sends(bucket: String) -> String {
        tagged("s", bucket) + ":sends"
    }

    /// The Generic record of exactly `identifier`, in its normalized recipient's slot.
    func genericRecord(_ identifier: Identifier) -> String {
        tagged("s", Self.recipientBucket(identifier)) + ":g:" + Self.digest("\(identifier.type.rawValue):\(identifier.value)")
    }

    func interaction(_ id: String) -> String {
        tagged("i", id) + ":ix"
    }

    func failures(_ lockoutKey: String) -> String {
        tagged("l", lockoutKey) + ":fails"
    }

    func lock(_ lockoutKey: String) -> String {
        tagged("l", lockoutKey) + ":lock"
    }

    func receipt(_ verificationID: String) -> String {
        tagged("v", verificationID) + ":slots"
    }

    /// The recipient bucket the verifier builds for an identifier (see `CodeVerifier.issue`).
    static func recipientBucket(_ identifier: Identifier) -> String {
        "\(identifier.type.rawValue):\(identifier.normalized)"
    }

    /// The kind of one of our keys, from its suffix, for purging; nil for anything else.
    func kind(of key: String) -> Kind? {
        guard key.hasPrefix(namespace + ":{") else { return nil }
        if key.hasSuffix(":ix") { return .interaction }
        if key.hasSuffix(":sends") { return .sends }
        if key.hasSuffix(":fails") { return .failures }
        if key.hasSuffix(":lock") { return .lock }
        if key.hasSuffix(":slots") { return .receipt }
        if key.contains("}:g:") { return .genericRecord }
        return nil
    }

    var scanPattern: String {
        namespace + ":{*"
    }

    private func tagged(_ kind: Character, _ value: String) -> String {
        "\(namespace):{\(kind)\(Self.digest(value))}"
    }

    private static func digest(_ value: String) -> String {
        Hex.encode(Array(SHA256.hash(value).prefix(16)))
    }
}

extension RedisKeys {
    /// What a key holds, which tells the purge script what "expired" means for it.
    enum Kind: String, Sendable {
        case interaction = "ix"
        case genericRecord = "g"
        case sends
        case failures = "fails"
        case lock
        case receipt = "slots"
    }
}
