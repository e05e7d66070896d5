import ConfigCore
import CryptoCore

/// An operator-configured API key. Only its SHA-256 digest is kept in memory.
public struct APIKey: Sendable {
    let digest: [UInt8]
    let scopes: Set<Scope>

    init(secret: String, scopes: Set<Scope>) {
        self.digest = SHA256.hash(Array(secret.utf8))
        self.scopes = scopes
    }

    /// `key` or `key=scope1+scope2`, comma-separated; a bare key has scope `all`.
    static func parseList(_ text: String) throws -> [APIKey] {
        try text.split(separator: ",").map { item in
            let entry = item.trimmingWhitespace()
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard let secret = parts.first, secret.utf8.count >= 8, !secret.contains(where: \.isWhitespace) else {
                throw ConfigError(variable: "PASSCODE_API_KEYS", problem: "each key must be at least 8 characters without spaces")
            }
            guard parts.count == 2 else { return APIKey(secret: secret, scopes: [.all]) }
            var scopes = Set<Scope>()
            for name in parts[1].split(separator: "+") {
                guard let scope = Scope(rawValue: String(name)) else {
                    throw ConfigError(variable: "PASSCODE_API_KEYS", problem: "unknown scope \"\(name)\"")
                }
                scopes.insert(scope)
            }
            return APIKey(secret: secret, scopes: scopes)
        }
    }
}

/// Matches a presented key against every configured key in constant time: each comparison runs
/// over the whole digest and no comparison stops the loop early.
struct APIKeyRing: Sendable {
    let keys: [APIKey]

    func scopes(for presented: String) -> Set<Scope>? {
        let digest = SHA256.hash(presented)
        var found: Set<Scope>?
        for key in keys where ConstantTime.equals(key.digest, digest) {
            found = key.scopes
        }
        return found
    }
}
