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
    /// On UTF-8 bytes: `?` and `/` are ASCII, so the cuts fall on scalar boundaries, and every
    /// route is ASCII. (The `Character` version, with grapheme breaking over the whole path, was 6%
    /// of the gateway's instructions under verify-miss.)
    static func match(path: String) -> GatewayRoute? {
        let bytes = path.utf8
        var end = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex
        if bytes.distance(from: bytes.startIndex, to: end) > 1, bytes[bytes.index(before: end)] == UInt8(ascii: "/") {
            end = bytes.index(before: end)
        }
        return byPath[String(path[..<end])]
    }
}
