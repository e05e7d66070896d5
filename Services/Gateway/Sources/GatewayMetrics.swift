import Synchronization
import SyncCore

/// Counters and a latency histogram, rendered in the Prometheus text format (version 0.0.4).
/// Labels are route templates, status codes, channels and error codes: never identifiers or codes.
public final class GatewayMetrics: Sendable {
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    private struct State {
        var requests: [RouteStatus: Int] = [:]
        var latencyBuckets: [String: [Int]] = [:]      // route → cumulative counts per bucket
        var latencySum: [String: Double] = [:]
        var latencyCount: [String: Int] = [:]
        var codesSent: [String: Int] = [:]             // channel
        var deliveryFailures: [String: Int] = [:]      // error code
        var verified: [String: Int] = [:]              // api
        var verifyFailures: [String: Int] = [:]        // error code
        var locked = 0
        var rpcErrors: [String: Int] = [:]             // backend
        var backendUp: [String: Bool] = ["verifier": false, "connector": false]
    }

    private struct RouteStatus: Hashable {
        let route: String
        let status: Int
    }

    private let state = Locked(State())

    public init() {}

    func recordRequest(route: String, status: Int, seconds: Double) {
        state.withLock { s in
            s.requests[RouteStatus(route: route, status: status), default: 0] += 1
            var counts = s.latencyBuckets[route] ?? Array(repeating: 0, count: Self.buckets.count)
            for (i, bound) in Self.buckets.enumerated() where seconds <= bound { counts[i] += 1 }
            s.latencyBuckets[route] = counts
            s.latencySum[route, default: 0] += seconds
            s.latencyCount[route, default: 0] += 1
        }
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
        family("passcode_http_requests_total", "counter", "HTTP requests by route and status.")
        for (key, n) in s.requests.sorted(by: { ($0.key.route, $0.key.status) < ($1.key.route, $1.key.status) }) {
            out += "passcode_http_requests_total{route=\"\(key.route)\",status=\"\(key.status)\"} \(n)\n"
        }
        family("passcode_http_request_duration_seconds", "histogram", "HTTP request latency by route.")
        for route in s.latencyBuckets.keys.sorted() {
            for (i, bound) in Self.buckets.enumerated() {
                out += "passcode_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(bound)\"} \(s.latencyBuckets[route]![i])\n"
            }
            out += "passcode_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"+Inf\"} \(s.latencyCount[route] ?? 0)\n"
            out += "passcode_http_request_duration_seconds_sum{route=\"\(route)\"} \(s.latencySum[route] ?? 0)\n"
            out += "passcode_http_request_duration_seconds_count{route=\"\(route)\"} \(s.latencyCount[route] ?? 0)\n"
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
