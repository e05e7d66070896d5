import Synchronization
import SyncCore

/// Counters and a latency histogram, rendered in the Prometheus text format (version 0.0.4).
/// Labels are route templates, status codes, channels and error codes: never identifiers or codes.
public final class GatewayMetrics: Sendable {
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    private struct State {
        /// One slot per route (`GatewayRoute.allCases` order), the last for unmatched paths: a
        /// request updates its slot in place, with no string hashed and no array copied.
        var routes = [RouteStats](repeating: RouteStats(), count: GatewayMetrics.routes.count + 1)
        var codesSent: [String: Int] = [:]             // channel
        var deliveryFailures: [String: Int] = [:]      // error code
        var verified: [String: Int] = [:]              // api
        var verifyFailures: [String: Int] = [:]        // error code
        var locked = 0
        var rpcErrors: [String: Int] = [:]             // backend
        var backendUp: [String: Bool] = ["verifier": false, "connector": false]
    }

    /// Requests of one route: counts by status (a handful per route, searched in order), and the
    /// latency histogram kept per bucket (not cumulative: one increment per request), summed
    /// into Prometheus' cumulative `le` series when rendered.
    private struct RouteStats {
        var statuses: [(status: Int, count: Int)] = []
        var buckets = [Int](repeating: 0, count: GatewayMetrics.buckets.count)
        var sum = 0.0
        var count = 0

        mutating func record(status: Int, seconds: Double) {
            if let i = statuses.firstIndex(where: { $0.status == status }) {
                statuses[i].count += 1
            } else {
                statuses.append((status, 1))
            }
            if let i = GatewayMetrics.buckets.firstIndex(where: { seconds <= $0 }) { buckets[i] += 1 }
            sum += seconds
            count += 1
        }
    }

    private static let routes = GatewayRoute.allCases   // `allCases` builds a new array per call
    private static let routeLabels = routes.map(\.rawValue) + ["unmatched"]

    private static func slot(_ route: GatewayRoute?) -> Int {
        guard let route, let index = routes.firstIndex(of: route) else { return routes.count }
        return index
    }

    private let state = Locked(State())

    public init() {}

    /// Counts a request under its route's template (`unmatched` for any other path).
    func recordRequest(route: GatewayRoute?, status: Int, seconds: Double) {
        let slot = Self.slot(route)
        state.withLock { $0.routes[slot].record(status: status, seconds: seconds) }
    }

    func codeSent(channel: String) { state.withLock { $0.codesSent[channel, default: 0] += 1 } }
    func deliveryFailed(code: String) { state.withLock { $0.deliveryFailures[code, default: 0] += 1 } }
    func verified(api: String) { state.withLock { $0.verified[api, default: 0] += 1 } }
    func verifyFailed(code: String) {
        state.withLock { s in
            s.verifyFailures[code, default: 0] += 1
            if code == "session.verification_blocked_too_many_attempts" { s.locked += 1 }
        }
    }
    func rpcError(backend: String) { state.withLock { $0.rpcErrors[backend, default: 0] += 1 } }
    func backend(_ name: String, up: Bool) { state.withLock { $0.backendUp[name] = up } }

    public func render() -> String {
        let s = state.withLock { $0 }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        // Routes that have seen a request, in label order (as before: sorted by route, then status).
        let seen = zip(Self.routeLabels, s.routes).filter { $0.1.count > 0 }.sorted { $0.0 < $1.0 }
        family("passcode_http_requests_total", "counter", "HTTP requests by route and status.")
        for (route, stats) in seen {
            for (status, n) in stats.statuses.sorted(by: { $0.status < $1.status }) {
                out += "passcode_http_requests_total{route=\"\(route)\",status=\"\(status)\"} \(n)\n"
            }
        }
        family("passcode_http_request_duration_seconds", "histogram", "HTTP request latency by route.")
        for (route, stats) in seen {
            var cumulative = 0
            for (i, bound) in Self.buckets.enumerated() {
                cumulative += stats.buckets[i]
                out += "passcode_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "passcode_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"+Inf\"} \(stats.count)\n"
            out += "passcode_http_request_duration_seconds_sum{route=\"\(route)\"} \(stats.sum)\n"
            out += "passcode_http_request_duration_seconds_count{route=\"\(route)\"} \(stats.count)\n"
        }
        func labelled(_ name: String, _ help: String, _ label: String, _ values: [String: Int]) {
            family(name, "counter", help)
            for (k, n) in values.sorted(by: { $0.key < $1.key }) { out += "\(name){\(label)=\"\(k)\"} \(n)\n" }
        }
        labelled("passcode_codes_sent_total", "Codes delivered, by channel.", "channel", s.codesSent)
        labelled("passcode_delivery_failures_total", "Failed deliveries, by error code.", "code", s.deliveryFailures)
        labelled("passcode_codes_verified_total", "Successful verifications, by API.", "api", s.verified)
        labelled("passcode_verify_failures_total", "Failed verifications, by error code.", "code", s.verifyFailures)
        family("passcode_verify_locked_total", "counter", "Verifications refused by the lockout sentinel.")
        out += "passcode_verify_locked_total \(s.locked)\n"
        labelled("passcode_rpc_errors_total", "RPC calls that failed for transport reasons, by backend.", "backend", s.rpcErrors)
        family("passcode_backend_up", "gauge", "1 when the backend answered its last health check.")
        for (k, up) in s.backendUp.sorted(by: { $0.key < $1.key }) { out += "passcode_backend_up{backend=\"\(k)\"} \(up ? 1 : 0)\n" }
        return out
    }
}
