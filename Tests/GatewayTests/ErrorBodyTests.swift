import Contracts
import Foundation
@testable import GatewayService
import Testing

/// The error body every failed request answers, written by hand into bytes: the exact text for a
/// catalogue error, escapes in free text, `data` and `Retry-After`.
@Suite struct ErrorBodyTests {
    @Test func catalogueErrorIsCodeAndMessageOnly() {
        let r = GatewayAPI.errorResponse(.codeMismatch)
        #expect(r.status == 400)
        #expect(String(decoding: r.body, as: UTF8.self) ==
                #"{"code":"verification_code.code_mismatch","message":"Invalid verification code."}"#)
        #expect(r.headers.map(\.name) == ["Content-Type"])
        #expect(r.headers.first?.value == "application/json")
    }

    @Test func detailsAreEscapedAndExtraHeadersKept() throws {
        let error = ServiceError.invalidInput("field \"email\" has a\ttab, a \\ and \u{1}")
        let r = GatewayAPI.errorResponse(error, extraHeaders: [("Allow", "GET, HEAD")])
        #expect(String(decoding: r.body, as: UTF8.self) ==
                #"{"code":"guard.invalid_input","message":"The request body is invalid.","details":"field \"email\" has a\ttab, a \\ and \u0001"}"#)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
        #expect(object["details"] as? String == "field \"email\" has a\ttab, a \\ and \u{1}")
        #expect(r.headers.map(\.name) == ["Content-Type", "Allow"])
    }

    @Test func retryAfterIsInDataAndInTheHeader() throws {
        let error = ServiceError.codeMismatch.with(retryAfter: 42).with(details: "wait")
        let r = GatewayAPI.errorResponse(error)
        #expect(String(decoding: r.body, as: UTF8.self) ==
                #"{"code":"verification_code.code_mismatch","message":"Invalid verification code.","data":{"retryAfter":42},"details":"wait"}"#)
        #expect(r.headers.first { $0.name == "Retry-After" }?.value == "42")
    }

    @Test func nonASCIIMessageIsWrittenAsUTF8() {
        let error = ServiceError(code: "x.y", message: "Código inválido — ✓", status: 400)
        #expect(String(decoding: GatewayAPI.errorResponse(error).body, as: UTF8.self) ==
                #"{"code":"x.y","message":"Código inválido — ✓"}"#)
    }
}
