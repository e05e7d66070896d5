@testable import GatewayService
import Testing

@Suite struct RouteMatchTests {
    @Test(arguments: [
        ("/healthz", GatewayRoute.healthz), ("/healthz/", .healthz), ("/healthz?probe=1", .healthz),
        ("/healthz/?a=/b/", .healthz), ("/healthz?/", .healthz), ("/api/verification-codes/verify", .managementVerify),
        ("/api/verification-codes/verify/?x=?", .managementVerify), ("/api/verification-codes", .managementSend),
    ])
    func matches(_ path: String, _ route: GatewayRoute) {
        #expect(GatewayRoute.match(path: path) == route)
    }

    @Test(arguments: ["", "/", "?", "/?", "//", "/healthz//", "/healthz/\u{301}", "/Healthz", "/healthz\u{301}", "/héalthz",
                      "healthz", "/healthz /", "/api/verification-codes/verify//",
                      // U+0600 is a Prepend character: it forms one grapheme with the `?` or `/` after it.
                      "/healthz\u{600}?x", "/healthz\u{600}/", "/healthz\u{600}"])
    func doesNotMatch(_ path: String) {
        #expect(GatewayRoute.match(path: path) == nil)
    }

    @Test func everyRouteMatchesItsOwnPath() {
        for route in GatewayRoute.allCases {
            #expect(GatewayRoute.match(path: route.rawValue) == route)
            #expect(GatewayRoute.match(path: route.rawValue + "/") == route)
            #expect(GatewayRoute.match(path: route.rawValue + "?q") == route)
        }
    }
}
