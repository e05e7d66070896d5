@testable import GatewayService
import Testing

/// The request counters and the latency histogram as Prometheus reads them: counts per route and
/// status, cumulative `le` buckets, `+Inf` equal to the count, and unmatched paths under one label.
@Suite struct GatewayMetricsTests {
    private func lines(_ metrics: GatewayMetrics, _ prefix: String) -> [String] {
        metrics.render().split(separator: "\n").map(String.init).filter { $0.hasPrefix(prefix) }
    }

    @Test func requestsAreCountedByRouteAndStatusInLabelOrder() {
        let metrics = GatewayMetrics()
        metrics.recordRequest(route: .managementVerify, status: 400, seconds: 0.001)
        metrics.recordRequest(route: .healthz, status: 200, seconds: 0.001)
        metrics.recordRequest(route: .managementVerify, status: 204, seconds: 0.001)
        metrics.recordRequest(route: .managementVerify, status: 400, seconds: 0.001)
        metrics.recordRequest(route: nil, status: 404, seconds: 0.001)
        #expect(lines(metrics, "passcode_http_requests_total{") == [
            #"passcode_http_requests_total{route="/api/verification-codes/verify",status="204"} 1"#,
            #"passcode_http_requests_total{route="/api/verification-codes/verify",status="400"} 2"#,
            #"passcode_http_requests_total{route="/healthz",status="200"} 1"#,
            #"passcode_http_requests_total{route="unmatched",status="404"} 1"#,
        ])
    }

    @Test func latencyBucketsAreCumulativeWithSumAndCount() {
        let metrics = GatewayMetrics()
        for seconds in [0.0002, 0.0005, 0.003, 0.04, 7.0] {   // 7 s is past the last bound: +Inf only
            metrics.recordRequest(route: .managementSend, status: 204, seconds: seconds)
        }
        let series = lines(metrics, #"passcode_http_request_duration_seconds_bucket{route="/api/verification-codes","#)
        let counts = series.map { Int($0.split(separator: " ").last!)! }
        //                 0.0005 0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1  2.5 5  +Inf
        #expect(counts == [2,     2,    2,     3,    3,   3,    4,   4,  4,   4,  4, 4,  4, 5])
        #expect(series.first == #"passcode_http_request_duration_seconds_bucket{route="/api/verification-codes",le="0.0005"} 2"#)
        #expect(series.last == #"passcode_http_request_duration_seconds_bucket{route="/api/verification-codes",le="+Inf"} 5"#)
        let sum = lines(metrics, "passcode_http_request_duration_seconds_sum{").first?.split(separator: " ").last.flatMap { Double($0) }
        #expect(abs((sum ?? 0) - 7.0437) < 1e-9)
        #expect(lines(metrics, "passcode_http_request_duration_seconds_count{") ==
                [#"passcode_http_request_duration_seconds_count{route="/api/verification-codes"} 5"#])
    }

    @Test func routesWithoutRequestsAreNotListed() {
        let metrics = GatewayMetrics()
        #expect(lines(metrics, "passcode_http_requests_total{").isEmpty)
        #expect(lines(metrics, "passcode_http_request_duration_seconds").isEmpty)
        metrics.recordRequest(route: .readyz, status: 503, seconds: 0.01)
        #expect(lines(metrics, "passcode_http_request_duration_seconds_count{") ==
                [#"passcode_http_request_duration_seconds_count{route="/readyz"} 1"#])
    }
}
