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

    /// `now` is read only when a JWT is checked.
    func authorize(authorization: String?, needs scope: Scope,
                   now: @autoclosure () -> Double = Date().timeIntervalSince1970) throws(ServiceError) {
        guard let authorization, !authorization.isEmpty else { throw .authorizationHeaderMissing }
        guard let token = Self.bearerToken(authorization) else { throw .unauthorized }
        let scopes: Set<Scope>?
        if let fromKey = keys.scopes(for: token) {
            scopes = fromKey
        } else if let jwt, token.utf8.count(where: { $0 == UInt8(ascii: ".") }) == 2 {
            scopes = jwt.scopes(for: token, now: now())
        } else {
            scopes = nil
        }
        guard let scopes else { throw .unauthorized }
        guard scopes.allows(scope) else { throw .forbidden }
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1), spaces and tabs
    /// trimmed; nil when the header has another scheme, no token, or an oversized one. Reads the
    /// header's UTF-8 in place: this runs for every Management request.
    static func bearerToken(_ header: String) -> String? {
        var header = header
        return header.withUTF8 { bytes -> String? in
            // The scheme's letters in any case (RFC 9110 §11.1), from a byte array: iterating
            // `"bearer".utf8` went through the generic `UTF8View` iterator, about 450 instructions
            // a request (issue 7, callgrind).
            let scheme = Self.bearerScheme
            guard bytes.count > scheme.count + 1 else { return nil }
            for i in 0..<scheme.count where bytes[i] | 0x20 != scheme[i] { return nil }
            var start = scheme.count
            guard bytes[start] == UInt8(ascii: " ") else { return nil }
            func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
            while start < bytes.count, isBlank(bytes[start]) { start += 1 }
            var end = bytes.count
            while end > start, isBlank(bytes[end - 1]) { end -= 1 }
            guard end > start, end - start <= maxTokenBytes else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
    }

    static let maxTokenBytes = 8192

    private static let bearerScheme: [UInt8] = Array("bearer".utf8)
}
