import Contracts
import Foundation
@testable import GatewayService
import Testing

/// API.md §6: route (404) → method (405) → caller (401/403 | session.not_found) → body size (413)
/// → body (400) → limits → operation.
@Suite struct CheckOrderTests {
    let api = try! makeAPI()

    @Test func unknownRouteIs404() async {
        let r = await api.handle(GatewayRequest(method: "GET", path: "/api/nothing"), backends: unreachable)
        #expect(r.status == 404)
        #expect(errorCode(r) == "request.not_found")
    }

    @Test func wrongMethodIs405WithAllow() async {
        let r = await api.handle(GatewayRequest(method: "GET", path: "/api/verification-codes"), backends: unreachable)
        #expect(r.status == 405)
        #expect(errorCode(r) == "request.method_not_allowed")
        #expect(r.headers.contains { $0.name == "Allow" && $0.value == "POST" })
        let h = await api.handle(GatewayRequest(method: "POST", path: "/healthz"), backends: unreachable)
        #expect(h.headers.contains { $0.name == "Allow" && $0.value == "GET, HEAD" })
    }

    @Test func authComesBeforeBodySize() async {
        var request = post("/api/verification-codes", "")
        request.bodyTooLarge = true
        let r = await api.handle(request, backends: unreachable)
        #expect(r.status == 401)
        request.headers.append(("Authorization", "Bearer all-key-123456"))
        let sized = await api.handle(request, backends: unreachable)
        #expect(sized.status == 413)
        #expect(errorCode(sized) == "request.payload_too_large")
    }

    @Test func sessionComesBeforeBody() async {
        let r = await api.handle(post("/api/experience/verification/verification-code", "not json"), backends: unreachable)
        #expect(r.status == 400)
        #expect(errorCode(r) == "session.not_found")
    }

    @Test func healthzAnswersWithoutBackends() async {
        let r = await api.handle(GatewayRequest(method: "GET", path: "/healthz"), backends: unreachable)
        #expect(r.status == 200)
    }

    @Test func readyzIs503WhenBackendsDoNotAnswer() async {
        let r = await api.handle(GatewayRequest(method: "GET", path: "/readyz"), backends: unreachable)
        #expect(r.status == 503)
        #expect(r.headers.contains { $0.name == "Retry-After" })
    }

    @Test func everyResponseCarriesARequestIdAndEchoesAValidOne() async {
        var request = GatewayRequest(method: "GET", path: "/healthz")
        request.headers = [("X-Request-Id", "abc-123")]
        let r = await api.handle(request, backends: unreachable)
        #expect(r.headers.contains { $0.name == "X-Request-Id" && $0.value == "abc-123" })
        request.headers = [("X-Request-Id", "bad id with spaces")]
        let other = await api.handle(request, backends: unreachable)
        let rid = other.headers.first { $0.name == "X-Request-Id" }?.value
        #expect(rid != nil && rid != "bad id with spaces")
    }

    @Test func openAPIDocumentIsServedAsJSON() async throws {
        let r = await api.handle(GatewayRequest(method: "GET", path: "/api/openapi.json"), backends: unreachable)
        #expect(r.status == 200)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
        #expect(doc["openapi"] as? String == "3.1.0")
        let paths = try #require(doc["paths"] as? [String: Any])
        for route in GatewayRoute.allCases { #expect(paths[route.rawValue] != nil, "missing \(route.rawValue)") }
    }

    @Test func metricsAreInPrometheusTextFormat() async {
        _ = await api.handle(GatewayRequest(method: "GET", path: "/healthz"), backends: unreachable)
        let r = await api.handle(GatewayRequest(method: "GET", path: "/metrics"), backends: unreachable)
        let text = String(decoding: r.body, as: UTF8.self)
        #expect(text.contains("# TYPE passcode_http_requests_total counter"))
        #expect(text.contains(#"passcode_http_requests_total{route="/healthz",status="200"} 1"#))
        #expect(text.contains("passcode_http_request_duration_seconds_bucket"))
    }
}
