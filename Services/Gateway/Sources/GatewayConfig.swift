import ConfigCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything the gateway reads from the environment, parsed and validated once at start.
public struct GatewayConfig: Sendable {
    public var listenHost: String
    public var listenPort: Int
    public var dataDirectory: DataDirectory
    public var apiKeys: [APIKey]
    public var jwtSecret: String?
    public var jwtAudience: String?
    public var cookieSecure: Bool
    public var trustedProxies: [CIDR]
    public var eventLoops: Int
    public var rpcDeadline: Duration
    /// Deadline of a `deliver` call: the connector's retry budget plus a margin.
    public var deliveryDeadline: Duration
    public var maxConnections: Int
    public var headerTimeout: Duration
    public var idleTimeout: Duration
    /// Lifetime of an interaction, for the cookie's Max-Age (API.md §3).
    public var interactionLifetime: Int

    public static func load(_ env: Environment) throws -> GatewayConfig {
        let listen = env.string("PASSCODE_LISTEN", default: "127.0.0.1:8080")
        let (host, port) = try parseListen(listen)
        let proxies = try (env["PASSCODE_TRUSTED_PROXIES"] ?? "").split(separator: ",").map {
            let text = $0.trimmingWhitespace()
            guard let cidr = CIDR(text) else {
                throw ConfigError(variable: "PASSCODE_TRUSTED_PROXIES", problem: "\"\(text)\" is not an IP address or CIDR")
            }
            return cidr
        }
        let secret = env["PASSCODE_JWT_SECRET"]
        if let secret, secret.utf8.count < 16 {
            throw ConfigError(variable: "PASSCODE_JWT_SECRET", problem: "must be at least 16 characters")
        }
        return GatewayConfig(
            listenHost: host, listenPort: port,
            dataDirectory: DataDirectory(env),
            apiKeys: try APIKey.parseList(env["PASSCODE_API_KEYS"] ?? ""),
            jwtSecret: secret,
            jwtAudience: env["PASSCODE_JWT_AUDIENCE"],
            cookieSecure: try env.bool("PASSCODE_COOKIE_SECURE", default: false),
            trustedProxies: proxies,
            eventLoops: try env.int("PASSCODE_GATEWAY_THREADS", default: ProcessInfo.processInfo.activeProcessorCount, range: 1...256),
            rpcDeadline: .milliseconds(try env.int("PASSCODE_RPC_DEADLINE_MS", default: 3000, range: 50...60_000)),
            deliveryDeadline: .milliseconds(Int((Double(env["PASSCODE_DELIVERY_TIMEOUT"] ?? "10") ?? 10) * 1000) + 2000),
            maxConnections: try env.int("PASSCODE_MAX_CONNECTIONS", default: 10_000, range: 1...1_000_000),
            headerTimeout: .seconds(try env.int("PASSCODE_HEADER_TIMEOUT", default: 10, range: 1...600)),
            idleTimeout: .seconds(try env.int("PASSCODE_IDLE_TIMEOUT", default: 60, range: 1...3600)),
            interactionLifetime: 3600)
    }

    /// `host:port`, `[v6]:port` or `:port`.
    static func parseListen(_ text: String) throws -> (String, Int) {
        let fail = ConfigError(variable: "PASSCODE_LISTEN", problem: "\"\(text)\" is not HOST:PORT")
        guard let colon = text.lastIndex(of: ":") else { throw fail }
        var host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { throw fail }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        return (host, port)
    }
}
