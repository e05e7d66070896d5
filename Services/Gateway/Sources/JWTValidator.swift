import Contracts
import CryptoCore

/// Accepts HS256 JSON Web Tokens (RFC 7519) signed with the configured secret: checks the
/// signature in constant time, `exp` and `nbf` (RFC 7519 §4.1.4–5, 30 s leeway) and, when
/// configured, `aud`; scopes come from the space-separated `scope` claim.
struct JWTValidator: Sendable {
    let secret: [UInt8]
    let audience: String?
    let leeway: Double = 30

    init(secret: String, audience: String?) {
        self.secret = Array(secret.utf8)
        self.audience = audience
    }

    /// Returns the token's scopes, or nil when the token is not acceptable.
    func scopes(for token: String, now: Double) -> Set<Scope>? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerBytes = Base64URL.decode(String(parts[0])),
              let payloadBytes = Base64URL.decode(String(parts[1])),
              let signature = Base64URL.decode(String(parts[2])),
              let header = JSONValue.parse(headerBytes), header["alg"]?.stringValue == "HS256",
              let claims = JSONValue.parse(payloadBytes), case .object = claims
        else { return nil }
        let signingInput = Array("\(parts[0]).\(parts[1])".utf8)
        guard ConstantTime.equals(HMAC.sha256(key: secret, message: signingInput), signature) else { return nil }
        if let exp = claims["exp"] {
            guard let value = exp.doubleValue, now < value + leeway else { return nil }
        }
        if let nbf = claims["nbf"] {
            guard let value = nbf.doubleValue, now + leeway >= value else { return nil }
        }
        if let audience {
            let aud = claims["aud"]
            let matches: Bool = switch aud {
            case .string(let single)?: single == audience
            case .array(let list)?: list.contains { $0.stringValue == audience }
            default: false
            }
            guard matches else { return nil }
        }
        let names = claims["scope"]?.stringValue?.split(separator: " ").map(String.init) ?? []
        return Set(names.compactMap(Scope.init(rawValue:)))
    }
}
