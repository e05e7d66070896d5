/// The gateway's routes (API.md §2, §3, §7). The raw value is the path, also the metrics label.
enum GatewayRoute: String, CaseIterable, Sendable {
    case managementSend = "/api/verification-codes"
    case managementVerify = "/api/verification-codes/verify"
    case experience = "/api/experience"
    case experienceSend = "/api/experience/verification/verification-code"
    case experienceVerify = "/api/experience/verification/verification-code/verify"
    case interaction = "/api/experience/interaction"
    case healthz = "/healthz"
    case readyz = "/readyz"
    case metrics = "/metrics"
    case openapi = "/api/openapi.json"

    var method: String {
        switch self {
        case .managementSend, .managementVerify, .experienceSend, .experienceVerify: "POST"
        case .experience: "PUT"
        case .interaction, .healthz, .readyz, .metrics, .openapi: "GET"
        }
    }

    /// Methods for the `Allow` header; GET routes also answer HEAD.
    var allowed: [String] { method == "GET" ? ["GET", "HEAD"] : [method] }

    var hasBody: Bool { method != "GET" }

    private static let byPath: [String: GatewayRoute] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    /// Matches the path without its query string; a single trailing slash is tolerated.
    static func match(path: String) -> GatewayRoute? {
        var p = path
        if let q = p.firstIndex(of: "?") { p = String(p[..<q]) }
        if p.count > 1, p.hasSuffix("/") { p.removeLast() }
        return byPath[p]
    }
}
