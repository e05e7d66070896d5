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

    /// Each route with its path's bytes.
    private static let paths: [(route: GatewayRoute, bytes: [UInt8])] = allCases.map { ($0, Array($0.rawValue.utf8)) }

    /// Matches the path without its query string; a single trailing slash is tolerated.
    /// On UTF-8 bytes: `?` and `/` are ASCII, so the cuts fall on scalar boundaries, and every
    /// route is ASCII. (The `Character` version, with grapheme breaking over the whole path, was 6%
    /// of the gateway's instructions under verify-miss.) The path is compared with the ten routes'
    /// bytes, length first, in one contiguous buffer: the generic `UTF8View` search for `?`, the
    /// cut path made into a new string and its hashing for a dictionary were about 1,500
    /// instructions a request (issue 7, callgrind).
    static func match(path: String) -> GatewayRoute? {
        var path = path
        return path.withUTF8 { bytes -> GatewayRoute? in
            var end = 0
            while end < bytes.count, bytes[end] != UInt8(ascii: "?") { end += 1 }
            if end > 1, bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
            search: for candidate in paths where candidate.bytes.count == end {
                for index in 0..<end where candidate.bytes[index] != bytes[index] { continue search }
                return candidate.route
            }
            return nil
        }
    }
}
