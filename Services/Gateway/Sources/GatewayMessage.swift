import HTTPCore

/// A request as the gateway's routes see it, independent of the socket layer.
public struct GatewayRequest: Sendable {
    public var method: String
    public var path: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Set when the declared body exceeded the limit and was not read; the route answers 413
    /// after its route, method and caller checks (API.md §6 check order).
    public var bodyTooLarge: Bool
    /// The socket peer's IP address.
    public var peer: String

    public init(method: String, path: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                bodyTooLarge: Bool = false, peer: String = "127.0.0.1") {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.bodyTooLarge = bodyTooLarge
        self.peer = peer
    }

    public func header(_ name: String) -> String? {
        headers.first { ASCII.equalsIgnoringCase($0.name, name) }?.value
    }

    public func headers(named name: String) -> [String] {
        headers.filter { ASCII.equalsIgnoringCase($0.name, name) }.map(\.value)
    }

    /// The value of cookie `name` (RFC 6265 §5.2, first occurrence wins), parsed by HTTPCore's
    /// `Cookies`.
    public func cookie(_ name: String) -> String? {
        for header in headers(named: "cookie") {
            if let value = Cookies(parsing: header)[name] { return value }
        }
        return nil
    }
}

public struct GatewayResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(_ status: Int, _ text: String, headers: [(name: String, value: String)] = []) -> GatewayResponse {
        json(status, Array(text.utf8), headers: headers)
    }

    static func json(_ status: Int, _ body: [UInt8], headers: [(name: String, value: String)] = []) -> GatewayResponse {
        var all: [(name: String, value: String)] = []
        all.reserveCapacity(headers.count + 2) // and X-Request-Id, which `GatewayAPI.handle` adds
        all.append(("Content-Type", "application/json"))
        all.append(contentsOf: headers)
        return GatewayResponse(status: status, headers: all, body: body)
    }

    static let noContent = GatewayResponse(status: 204)
}
