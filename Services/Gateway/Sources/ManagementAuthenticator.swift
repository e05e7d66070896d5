import Contracts
import Foundation

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
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw .unauthorized }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.utf8.count <= 8192 else { throw .unauthorized }
        let scopes: Set<Scope>?
        if let fromKey = keys.scopes(for: token) {
            scopes = fromKey
        } else if let jwt, token.split(separator: ".", omittingEmptySubsequences: false).count == 3 {
            scopes = jwt.scopes(for: token, now: now)
        } else {
            scopes = nil
        }
        guard let scopes else { throw .unauthorized }
        guard scopes.allows(scope) else { throw .forbidden }
    }
}
