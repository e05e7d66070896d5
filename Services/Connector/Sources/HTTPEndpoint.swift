#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where one provider request goes, taken from an `http://` or `https://` URL (RFC 9110 §4.2): the
/// host and port to connect to, the `Host` header, and the origin-form request target (RFC 9112 §3.2.1).
/// User info in the URL is ignored, and so is the fragment.
struct HTTPEndpoint: Sendable, Equatable {
    /// What a kept-alive connection may be reused for: the same scheme, host and port.
    struct Key: Hashable, Sendable {
        var secure: Bool
        var host: String
        var port: Int
    }

    var secure: Bool
    /// The host name or address, without the brackets of an IPv6 literal.
    var host: String
    var port: Int
    /// Path and query, starting with `/`.
    var target: String

    var key: Key { Key(secure: secure, host: host, port: port) }

    /// `Host` (RFC 9110 §7.2): the authority without user info, the port only when not the default.
    var hostHeader: String {
        let name = host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
    }

    init(_ url: URL, label: String) throws(DeliveryFailure) {
        let text = url.absoluteString
        func bad() -> DeliveryFailure { .permanent("\(label): the provider URL is not a usable http(s) URL") }
        guard let separator = text.firstRange(of: "://") else { throw bad() }
        switch text[..<separator.lowerBound].lowercased() {
        case "http": secure = false
        case "https": secure = true
        default: throw bad()
        }
        let rest = text[separator.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw bad() }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad() }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        } else {
            host = String(authority)
        }
        guard !host.isEmpty, host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) else { throw bad() }
        if let portText, !portText.isEmpty {
            guard let value = Int(portText), (1...65535).contains(value) else { throw bad() }
            port = value
        } else {
            port = secure ? 443 : 80
        }
        var target = rest[authorityEnd...]
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        self.target = target.hasPrefix("/") ? String(target) : "/" + target
        // URL percent-encodes what may not appear; anything else would break the request line.
        guard self.target.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw bad() }
    }
}
