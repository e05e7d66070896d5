import ConfigCore

/// Where and how to reach an SMTP relay, parsed from `PASSCODE_SMTP_URL`:
/// `smtp://[user:pass@]host[:port]` (STARTTLS when offered, RFC 3207) or `smtps://…` (implicit TLS,
/// RFC 8314 §3.3). User and password are percent-decoded.
struct SMTPEndpoint: Sendable, Equatable {
    var host: String
    var port: Int
    var implicitTLS: Bool
    var user: String?
    var password: String?
    /// Skip certificate verification (self-signed test relays only).
    var insecure: Bool
    /// A PEM bundle to trust instead of the system CA store.
    var caFile: String?

    static let variable = "PASSCODE_SMTP_URL"

    static func parse(_ raw: String, insecure: Bool = false, caFile: String? = nil) throws -> SMTPEndpoint {
        func bad(_ problem: String) -> ConfigError { ConfigError(variable: variable, problem: problem) }
        let implicitTLS: Bool
        var rest: Substring
        if raw.lowercased().hasPrefix("smtps://") {
            implicitTLS = true
            rest = raw.dropFirst("smtps://".count)
        } else if raw.lowercased().hasPrefix("smtp://") {
            implicitTLS = false
            rest = raw.dropFirst("smtp://".count)
        } else {
            throw bad("must start with smtp:// or smtps://")
        }
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            guard rest[slash...].allSatisfy({ $0 == "/" }) else { throw bad("must not have a path or query") }
            rest = rest[..<slash]
        }
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let info = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = info.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let u = percentDecoded(parts[0]), !u.isEmpty else { throw bad("user is empty or badly percent-encoded") }
            user = u
            if parts.count == 2 {
                guard let p = percentDecoded(parts[1]) else { throw bad("password is badly percent-encoded") }
                password = p
            } else {
                password = ""
            }
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw bad("unterminated IPv6 address") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad("junk after IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "@" }) else { throw bad("host is missing or invalid") }
        var port = implicitTLS ? 465 : 587
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw bad("port must be 1...65535") }
            port = p
        }
        return SMTPEndpoint(host: String(host), port: port, implicitTLS: implicitTLS, user: user, password: password,
                            insecure: insecure, caFile: caFile)
    }

    /// RFC 3986 §2.1 percent-decoding; nil on a malformed escape or invalid UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let b = iterator.next() {
            if b == UInt8(ascii: "%") {
                guard let h = iterator.next(), let l = iterator.next(), let hv = hexValue(h), let lv = hexValue(l) else { return nil }
                bytes.append(hv << 4 | lv)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
