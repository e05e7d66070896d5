/// A complete request as the parser hands it over: the head is validated and the body fully read
/// (and de-chunked). Strings are decoded as UTF-8; the parser has already rejected control bytes.
public struct HTTPRequest: Sendable, Hashable {
    /// The method token, case-sensitive (RFC 9110 §9.1): `GET`, `POST`, ….
    public var method: String
    /// The request-target exactly as received (RFC 9112 §3.2).
    public var target: String
    /// The path of the target, without the query; `*` for an asterisk-form `OPTIONS`.
    public var path: String
    /// The query after `?`, if any, still percent-encoded.
    public var query: String?
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Fields of a chunked body's trailer section (RFC 9112 §7.1.2); kept apart from `headers`
    /// because a trailer must not override what the head said.
    public var trailers: HTTPHeaders
    /// Whether the connection stays open after the response (RFC 9112 §9.3).
    public var keepAlive: Bool
    /// Set when `HTTPLimits.deliverOversizeRequests` let through a request whose declared body
    /// exceeds the limit: `body` is empty, the body was never read and the connection will close.
    public var bodyTooLarge = false

    public init(
        method: String, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:],
        body: [UInt8] = [], trailers: HTTPHeaders = [:], keepAlive: Bool? = nil
    ) {
        self.method = method
        self.target = target
        if let mark = target.firstIndex(of: "?") {
            self.path = String(target[..<mark])
            self.query = String(target[target.index(after: mark)...])
        } else {
            self.path = target
            self.query = nil
        }
        self.version = version
        self.headers = headers
        self.body = body
        self.trailers = trailers
        self.keepAlive = keepAlive ?? HTTPRequest.persistence(version: version, headers: headers)
    }

    init(
        method: String, target: String, path: String, query: String?, version: HTTPVersion,
        headers: HTTPHeaders, body: [UInt8], trailers: HTTPHeaders, keepAlive: Bool
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.trailers = trailers
        self.keepAlive = keepAlive
    }

    /// RFC 9112 §9.3: `close` ends any connection; otherwise HTTP/1.1 persists by default and
    /// HTTP/1.0 only when the client asked for `keep-alive`.
    static func persistence(version: HTTPVersion, headers: HTTPHeaders) -> Bool {
        if headers.containsToken("close", in: "Connection") { return false }
        if version == .http1_1 { return true }
        return headers.containsToken("keep-alive", in: "Connection")
    }

    public var isHead: Bool { method == "HEAD" }
}
