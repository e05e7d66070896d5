import Testing

@testable import HTTPCore

/// `deliverOversizeRequests`: the application sees the head of an oversize request first, so it
/// can answer 404/405/401 before 413 (API.md §6 check order).
@Suite struct OversizeDeliveryTests {
    static var limits: HTTPLimits {
        var l = HTTPLimits()
        l.deliverOversizeRequests = true
        return l
    }

    @Test func oversizeContentLengthIsDeliveredHeadOnlyAndFlagged() {
        let input = crlf("POST /x HTTP/1.1", "Host: a", "Content-Length: 70000", "", "") + [UInt8](repeating: 65, count: 3000)
        let outcome = parseEverySplit(input, limits: Self.limits)
        #expect(outcome.error == nil)
        #expect(outcome.requests.count == 1)
        #expect(outcome.requests.first?.bodyTooLarge == true)
        #expect(outcome.requests.first?.keepAlive == false)
        #expect(outcome.requests.first?.body.isEmpty == true)
        #expect(outcome.partial == false)
    }

    @Test func bytesAfterAnOversizeHeadAreNeverParsedAsARequest() {
        let smuggled = crlf("GET /admin HTTP/1.1", "Host: a", "", "")
        let input = crlf("POST /x HTTP/1.1", "Host: a", "Content-Length: 70000", "", "") + smuggled
        let outcome = parseEverySplit(input, limits: Self.limits)
        #expect(outcome.requests.count == 1)
        #expect(outcome.requests.first?.path == "/x")
    }

    @Test func withoutTheOptionOversizeIs413() {
        let input = crlf("POST /x HTTP/1.1", "Host: a", "Content-Length: 70000", "", "")
        #expect(parseEverySplit(input).error == .payloadTooLarge)
    }
}
