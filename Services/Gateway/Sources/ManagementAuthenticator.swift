import Contracts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Decides whether a Management API caller may use a route (API.md §2): a configured API key
/// or an HS256 JWT in `Authorization: Bearer …`.
struct ManagementAuthenticator: Sendable {
    let keys: APIKeyRing
    let jwt: JWTValidator?

    init(config: GatewayConfig) {
        keys = APIKeyRing(keys: config.apiKeys)
        jwt = config.jwtSecret.map { JWTValidator(secret: $0, audience: config.jwtAudience) }
    }

    func authorize(authorization: String?, needs scope: Scope, now: Double = Date().timeIntervalSince1970) throws(ServiceError) {
        guard let authorization, !authorization.isEmpty else { throw .authorizationHeaderMissing }
        guard let token = Self.bearerToken(authorization) else { throw .unauthorized }
        let scopes: Set<Scope>?
        if let fromKey = keys.scopes(for: token) {
            scopes = fromKey
        } else if let jwt, token.utf8.count(where: { $0 == UInt8(ascii: ".") }) == 2 {
            scopes = jwt.scopes(for: token, now: now)
        } else {
            scopes = nil
        }
        guard let scopes else { throw .unauthorized }
        guard scopes.allows(scope) else { throw .forbidden }
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1), spaces trimmed;
    /// nil when the header has another scheme, no token, or an oversized one. Works on bytes: this
    /// runs for every Management request.
    static func bearerToken(_ header: String) -> String? {
        let bytes = Array(header.utf8)
        let scheme: [UInt8] = Array("bearer".utf8)
        guard bytes.count > scheme.count + 1 else { return nil }
        for i in 0..<scheme.count where bytes[i] | 0x20 != scheme[i] { return nil }
        var start = scheme.count
        guard bytes[start] == UInt8(ascii: " ") else { return nil }
        while start < bytes.count, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
        var end = bytes.count
        while end > start, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
        guard end > start, end - start <= 8192 else { return nil }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
