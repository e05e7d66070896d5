import Synchronization
import Testing

@testable import HTTPCore

@Suite struct ResponseEncoderTests {
    let encoder = HTTPResponseEncoder(dateCache: DateCache(clock: { 784_111_777 }))

    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func encodesNoContentWithoutLength() {
        let out = encoder.encode(.noContent(), keepAlive: true)
        #expect(text(out) == "HTTP/1.1 204 No Content\r\nServer: passcode\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n")
    }

    @Test func encodesJSONWithLengthAndClose() {
        let out = encoder.encode(.json(text: #"{"verificationId":"abc"}"#), keepAlive: false)
        #expect(
            text(out)
                == "HTTP/1.1 200 OK\r\nServer: passcode\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                + "Content-Type: application/json\r\nContent-Length: 24\r\nConnection: close\r\n\r\n"
                + #"{"verificationId":"abc"}"#)
    }

    @Test func encodesErrorWithExtraHeaders() {
        let response = HTTPResponse.error(
            .methodNotAllowed, code: "request.method_not_allowed", message: "The method is not allowed on this route.",
            headers: ["Allow": "GET, HEAD"])
        let expected =
            "HTTP/1.1 405 Method Not Allowed\r\nServer: passcode\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            + "Content-Type: application/json\r\nAllow: GET, HEAD\r\nContent-Length: 90\r\n\r\n"
            + #"{"code":"request.method_not_allowed","message":"The method is not allowed on this route."}"#
        #expect(text(encoder.encode(response, keepAlive: true)) == expected)
    }

    @Test func headResponseKeepsLengthButOmitsBody() {
        let out = encoder.encode(.json(text: "{}"), method: "HEAD", keepAlive: true)
        #expect(text(out).hasSuffix("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n"))
    }

    @Test func notModifiedHasNoBodyOrLength() {
        let out = encoder.encode(HTTPResponse(status: .notModified, body: [1, 2, 3]), keepAlive: true)
        #expect(text(out) == "HTTP/1.1 304 Not Modified\r\nServer: passcode\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n")
    }

    @Test func http10KeepAliveIsAnnounced() {
        let out = encoder.encode(.noContent(), version: .http1_0, keepAlive: true)
        #expect(text(out).hasSuffix("\r\nConnection: keep-alive\r\n\r\n"))
    }

    @Test func framingHeadersFromHandlersAreDropped() {
        let response = HTTPResponse(
            status: .ok,
            headers: ["Content-Length": "999", "Transfer-Encoding": "chunked", "Server": "other", "Date": "x", "X-Kept": "1"],
            body: [0x61])
        let out = text(encoder.encode(response, keepAlive: true))
        #expect(
            out == "HTTP/1.1 200 OK\r\nServer: passcode\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nX-Kept: 1\r\nContent-Length: 1\r\n\r\na")
    }

    @Test func headerValuesCannotSplitTheResponse() {
        let response = HTTPResponse(status: .noContent, headers: ["X-A": "a\r\nSet-Cookie: evil=1", "Bad Name": "v"])
        let out = text(encoder.encode(response, keepAlive: true))
        #expect(out.contains("X-A: a  Set-Cookie: evil=1\r\n"))
        #expect(!out.contains("Bad Name"))
    }

    @Test func unknownStatusHasEmptyReason() {
        let out = text(encoder.encode(HTTPResponse(status: 299), keepAlive: true))
        #expect(out.hasPrefix("HTTP/1.1 299 \r\n"))
    }
}

@Suite struct DateCacheTests {
    @Test(arguments: [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
    ])
    func formatsIMFFixdate(seconds: Int, expected: String) {
        #expect(DateCache.imfFixdate(epochSeconds: seconds) == expected)
    }

    @Test func reformatsOnlyWhenTheSecondChanges() {
        let clock = ManualSeconds(784_111_777)
        let cache = DateCache(clock: { clock.value.load(ordering: .relaxed) })
        #expect(cache.headerValue == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(cache.headerValue == "Sun, 06 Nov 1994 08:49:37 GMT")
        clock.value.store(784_111_778, ordering: .relaxed)
        #expect(cache.headerValue == "Sun, 06 Nov 1994 08:49:38 GMT")
    }

    @Test func systemClockGivesTheCurrentYear() {
        let value = DateCache().headerValue
        #expect(value.hasSuffix(" GMT"))
        #expect(value.count == 29)
    }
}

/// A settable clock for `DateCache`.
final class ManualSeconds: Sendable {
    let value: Atomic<Int>
    init(_ seconds: Int) { value = Atomic(seconds) }
}
