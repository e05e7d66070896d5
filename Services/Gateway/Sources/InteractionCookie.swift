import Contracts
import CryptoCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The `_interaction` cookie: `<interactionId>.<expiresAt>.<base64url HMAC-SHA256(secret, "interaction:" ‖ id ‖ ":" ‖ expiresAt)>`.
/// Carrying the expiry lets the gateway refuse an expired session before reading the body (API.md §6
/// check order). Signed with the primary secret; accepted under any configured secret so a key
/// rotation keeps live sessions.
struct InteractionCookie: Sendable {
    static let name = "_interaction"
    let secrets: [[UInt8]]
    let secure: Bool
    let maxAge: Int

    func value(for interactionId: String, expiresAt: Int) -> String {
        "\(interactionId).\(expiresAt)." + Base64URL.encode(signature(interactionId, expiresAt, secret: secrets[0]))
    }

    /// The interaction id of a well-formed, correctly signed, unexpired cookie value, else nil.
    func interactionId(from value: String, now: Double) -> String? {
        guard value.utf8.count <= 256 else { return nil }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty,
              parts[0].utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) }),
              let expiresAt = Int(parts[1]),
              let presented = Base64URL.decode(String(parts[2])) else { return nil }
        let id = String(parts[0])
        var valid = false
        for secret in secrets where ConstantTime.equals(signature(id, expiresAt, secret: secret), presented) {
            valid = true
        }
        return valid && Double(expiresAt) > now ? id : nil
    }

    func setCookieHeader(for handle: InteractionHandle, now: Double = Date().timeIntervalSince1970) -> String {
        let expiresAt = Int(handle.expiresAt)
        let maxAge = max(0, min(self.maxAge, expiresAt - Int(now)))
        var header = "\(Self.name)=\(value(for: handle.interactionId, expiresAt: expiresAt)); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax"
        if secure { header += "; Secure" }
        return header
    }

    private func signature(_ id: String, _ expiresAt: Int, secret: [UInt8]) -> [UInt8] {
        HMAC.sha256(key: secret, message: Array("interaction:\(id):\(expiresAt)".utf8))
    }
}
