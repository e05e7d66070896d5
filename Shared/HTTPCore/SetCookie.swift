/// A `Set-Cookie` header value (RFC 6265 §4.1). Defaults suit a session cookie: `Path=/`,
/// `HttpOnly`, `SameSite=Lax`.
public struct SetCookie: Sendable, Hashable {
    public enum SameSite: String, Sendable, Hashable {
        case strict = "Strict"
        case lax = "Lax"
        case none = "None"
    }

    public var name: String
    public var value: String
    public var path: String?
    /// Seconds until the cookie expires; 0 deletes it (RFC 6265 §5.2.2); `nil` makes a session cookie.
    public var maxAge: Int?
    public var httpOnly: Bool
    public var secure: Bool
    public var sameSite: SameSite?

    /// Returns `nil` if `name` is not a token, `value` holds bytes outside cookie-octet
    /// (RFC 6265 §4.1.1) or `path` holds a control byte or `;`: such a header could inject attributes.
    public init?(
        name: String, value: String, path: String? = "/", maxAge: Int? = nil, httpOnly: Bool = true,
        secure: Bool = false, sameSite: SameSite? = .lax
    ) {
        guard !name.isEmpty, name.utf8.allSatisfy(ASCII.isToken),
            value.utf8.allSatisfy(SetCookie.isCookieOctet),
            path?.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != ASCII.semicolon }) ?? true
        else { return nil }
        self.name = name
        self.value = value
        self.path = path
        self.maxAge = maxAge
        self.httpOnly = httpOnly
        self.secure = secure
        self.sameSite = sameSite
    }

    /// A cookie that makes the browser delete `name` at once (`Max-Age=0`, empty value).
    public static func deletion(
        of name: String, path: String? = "/", secure: Bool = false, sameSite: SameSite? = .lax
    ) -> SetCookie? {
        SetCookie(name: name, value: "", path: path, maxAge: 0, secure: secure, sameSite: sameSite)
    }

    public var headerValue: String {
        var text = name + "=" + value
        if let path { text += "; Path=" + path }
        if let maxAge { text += "; Max-Age=" + String(max(0, maxAge)) }
        if secure { text += "; Secure" }
        if httpOnly { text += "; HttpOnly" }
        if let sameSite { text += "; SameSite=" + sameSite.rawValue }
        return text
    }

    /// cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
    private static func isCookieOctet(_ byte: UInt8) -> Bool {
        byte == 0x21 || (0x23...0x2B).contains(byte) || (0x2D...0x3A).contains(byte)
            || (0x3C...0x5B).contains(byte) || (0x5D...0x7E).contains(byte)
    }
}
