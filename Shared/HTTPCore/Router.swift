/// Maps `(method, path)` to a handler value. Generic over the handler so the gateway can store its
/// own async closures; HTTPCore never calls them.
///
/// Paths are matched exactly, segment by segment; a segment written `:name` matches any one
/// non-empty segment and is returned in `params`. The query string is ignored. A `HEAD` request
/// falls back to the `GET` handler (RFC 9110 §9.3.2), the encoder then omits the body.
public struct Router<Handler> {
    public enum Match {
        case found(Handler, params: [String: String])
        case notFound
        /// The path exists but not for this method; `allow` is the `Allow` header's list (RFC 9110 §10.2.1).
        case methodNotAllowed(allow: [String])
    }

    fileprivate struct Route {
        var segments: [Substring]
        var handlers: [(method: String, handler: Handler)]

        var hasParameters: Bool { segments.contains { $0.first == ":" } }
    }

    /// Exact paths, looked up by hashing; parameterised ones are scanned in registration order.
    private var exactRoutes: [String: Route] = [:]
    private var parameterRoutes: [Route] = []

    public init() {}

    /// Registers `handler` for `method` on `path`; a later registration of the same pair replaces it.
    public mutating func register(_ method: String, _ path: String, _ handler: Handler) {
        let segments = Self.segments(path)
        var route = Route(segments: segments, handlers: [])
        if !route.hasParameters {
            route = exactRoutes[path] ?? route
            Self.set(method, handler, in: &route)
            exactRoutes[path] = route
        } else if let index = parameterRoutes.firstIndex(where: { $0.segments == segments }) {
            Self.set(method, handler, in: &parameterRoutes[index])
        } else {
            Self.set(method, handler, in: &route)
            parameterRoutes.append(route)
        }
    }

    /// Finds the handler for a request-target or path; anything after `?` is ignored.
    public func match(method: String, path target: String) -> Match {
        let path = target.firstIndex(of: "?").map { String(target[..<$0]) } ?? target
        if let route = exactRoutes[path] {
            return Self.select(method, in: route, params: [:])
        }
        let segments = Self.segments(path)
        for route in parameterRoutes {
            if let params = Self.bind(route.segments, to: segments) {
                return Self.select(method, in: route, params: params)
            }
        }
        return .notFound
    }

    public func match(_ request: HTTPRequest) -> Match {
        match(method: request.method, path: request.path)
    }

    private static func set(_ method: String, _ handler: Handler, in route: inout Route) {
        if let index = route.handlers.firstIndex(where: { $0.method == method }) {
            route.handlers[index].handler = handler
        } else {
            route.handlers.append((method, handler))
        }
    }

    private static func select(_ method: String, in route: Route, params: [String: String]) -> Match {
        if let entry = route.handlers.first(where: { $0.method == method }) {
            return .found(entry.handler, params: params)
        }
        if method == "HEAD", let entry = route.handlers.first(where: { $0.method == "GET" }) {
            return .found(entry.handler, params: params)
        }
        var allow: [String] = []
        for entry in route.handlers {
            allow.append(entry.method)
            if entry.method == "GET" && !route.handlers.contains(where: { $0.method == "HEAD" }) {
                allow.append("HEAD")
            }
        }
        return .methodNotAllowed(allow: allow)
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: false)
    }

    private static func bind(_ pattern: [Substring], to segments: [Substring]) -> [String: String]? {
        guard pattern.count == segments.count else { return nil }
        var params: [String: String] = [:]
        for (expected, actual) in zip(pattern, segments) {
            if expected.first == ":" {
                guard !actual.isEmpty else { return nil }
                params[String(expected.dropFirst())] = String(actual)
            } else if expected != actual {
                return nil
            }
        }
        return params
    }
}

extension Router: Sendable where Handler: Sendable {}
extension Router.Match: Sendable where Handler: Sendable {}
extension Router.Route: Sendable where Handler: Sendable {}
