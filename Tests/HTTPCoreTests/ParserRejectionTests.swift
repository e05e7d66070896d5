import Testing

@testable import HTTPCore

/// Every hostile or malformed shape, each with the exact error (and so status) it must produce,
/// whatever the split of its bytes.
@Suite struct ParserRejectionTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var input: [UInt8]
        var error: HTTPParserError
        var description: String { name }

        init(_ name: String, _ input: [UInt8], _ error: HTTPParserError) {
            self.name = name
            self.input = input
            self.error = error
        }

        init(_ name: String, head lines: [String], _ error: HTTPParserError) {
            self.init(name, bytes(lines.joined(separator: "\r\n") + "\r\n\r\n"), error)
        }
    }

    static let smuggling: [Case] = [
        Case("CL then TE", head: ["POST / HTTP/1.1", "Host: x", "Content-Length: 5", "Transfer-Encoding: chunked"],
             .malformed(.contentLengthWithTransferEncoding)),
        Case("TE then CL", head: ["POST / HTTP/1.1", "Host: x", "Transfer-Encoding: chunked", "Content-Length: 5"],
             .malformed(.contentLengthWithTransferEncoding)),
        Case("differing CL fields", head: ["POST / HTTP/1.1", "Host: x", "Content-Length: 5", "Content-Length: 6"],
             .malformed(.contentLength)),
        Case("differing CL list", head: ["POST / HTTP/1.1", "Host: x", "Content-Length: 5, 6"], .malformed(.contentLength)),
        Case("CL textually different", head: ["POST / HTTP/1.1", "Host: x", "Content-Length: 5", "Content-Length: 05"],
             .malformed(.contentLength)),
        Case("CL non-numeric", head: ["POST / HTTP/1.1", "Host: x", "Content-Length: abc"], .malformed(.contentLength)),
        Case("CL negative", head: ["POST / HTTP/1.1", "Host: x", "Content-Length: -1"], .malformed(.contentLength)),
        Case("CL plus sign", head: ["POST / HTTP/1.1", "Host: x", "Content-Length: +5"], .malformed(.contentLength)),
        Case("CL hex", head: ["POST / HTTP/1.1", "Host: x", "Content-Length: 0x10"], .malformed(.contentLength)),
        Case("CL inner space", head: ["POST / HTTP/1.1", "Host: x", "Content-Length: 1 2"], .malformed(.contentLength)),
        Case("CL empty", head: ["POST / HTTP/1.1", "Host: x", "Content-Length:"], .malformed(.contentLength)),
        Case("CL empty list element", head: ["POST / HTTP/1.1", "Host: x", "Content-Length: 5,"], .malformed(.contentLength)),
        Case("obs-fold", head: ["GET / HTTP/1.1", "Host: x", "X-A: b", " c"], .malformed(.obsFold)),
        Case("obs-fold tab", head: ["GET / HTTP/1.1", "Host: x", "X-A: b", "\tc"], .malformed(.obsFold)),
        Case("space before first field", head: ["GET / HTTP/1.1", " Host: x"], .malformed(.obsFold)),
        Case("space before colon", head: ["GET / HTTP/1.1", "Host : x"], .malformed(.whitespaceBeforeColon)),
        Case("tab before colon", head: ["GET / HTTP/1.1", "Host: x", "Content-Length\t: 0"], .malformed(.whitespaceBeforeColon)),
        Case("bare LF after request line", bytes("GET / HTTP/1.1\nHost: x\r\n\r\n"), .malformed(.bareLineFeed)),
        Case("bare LF after field", bytes("GET / HTTP/1.1\r\nHost: x\n\r\n"), .malformed(.bareLineFeed)),
        Case("bare LF ending head", bytes("GET / HTTP/1.1\r\nHost: x\r\n\n"), .malformed(.bareLineFeed)),
        Case("bare LF before request line", bytes("\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), .malformed(.bareLineFeed)),
        Case("bare CR in request line", bytes("GET / HTTP/1.1\rHost: x\r\n\r\n"), .malformed(.bareCarriageReturn)),
        Case("bare CR ending head", bytes("GET / HTTP/1.1\r\nHost: x\r\n\rX"), .malformed(.bareCarriageReturn)),
        Case("TE gzip", head: ["POST / HTTP/1.1", "Host: x", "Transfer-Encoding: gzip"], .unsupportedTransferCoding),
        Case("TE identity", head: ["POST / HTTP/1.1", "Host: x", "Transfer-Encoding: identity"], .unsupportedTransferCoding),
        Case("TE gzip, chunked", head: ["POST / HTTP/1.1", "Host: x", "Transfer-Encoding: gzip, chunked"],
             .unsupportedTransferCoding),
        Case("TE chunked, gzip", head: ["POST / HTTP/1.1", "Host: x", "Transfer-Encoding: chunked, gzip"],
             .malformed(.transferEncoding)),
        Case("TE chunked twice", head: ["POST / HTTP/1.1", "Host: x", "Transfer-Encoding: chunked, chunked"],
             .malformed(.transferEncoding)),
        Case("TE chunked in two fields", head: ["POST / HTTP/1.1", "Host: x", "Transfer-Encoding: chunked",
                                                "Transfer-Encoding: chunked"], .malformed(.transferEncoding)),
        Case("TE empty", head: ["POST / HTTP/1.1", "Host: x", "Transfer-Encoding:"], .malformed(.transferEncoding)),
        Case("TE with parameter", head: ["POST / HTTP/1.1", "Host: x", "Transfer-Encoding: chunked;q=1"],
             .malformed(.transferEncoding)),
        Case("TE vertical tab", head: ["POST / HTTP/1.1", "Host: x", "Transfer-Encoding: \u{0B}chunked"],
             .malformed(.fieldValue)),
        Case("TE in HTTP/1.0", head: ["POST / HTTP/1.0", "Transfer-Encoding: chunked"], .malformed(.transferEncodingInHTTP10)),
        Case("missing Host", head: ["GET / HTTP/1.1", "Accept: */*"], .malformed(.missingHost)),
        Case("two Hosts", head: ["GET / HTTP/1.1", "Host: a", "Host: b"], .malformed(.multipleHosts)),
    ]

    static let syntax: [Case] = [
        Case("method with bad char", head: ["G(T / HTTP/1.1", "Host: x"], .malformed(.method)),
        Case("method with DEL", head: ["GE\u{7F}T / HTTP/1.1", "Host: x"], .malformed(.method)),
        Case("empty method", head: [" / HTTP/1.1", "Host: x"], .malformed(.method)),
        Case("no spaces", head: ["GET", "Host: x"], .malformed(.requestLine)),
        Case("HTTP/0.9 style", head: ["GET /", "Host: x"], .malformed(.requestLine)),
        Case("double space", head: ["GET /  HTTP/1.1", "Host: x"], .malformed(.version)),
        Case("lowercase version", head: ["GET / http/1.1", "Host: x"], .malformed(.version)),
        Case("version two digits", head: ["GET / HTTP/1.10", "Host: x"], .malformed(.version)),
        Case("version no minor", head: ["GET / HTTP/2", "Host: x"], .malformed(.version)),
        Case("HTTP/2.0", head: ["GET / HTTP/2.0", "Host: x"], .unsupportedVersion),
        Case("HTTP/0.9", head: ["GET / HTTP/0.9", "Host: x"], .unsupportedVersion),
        Case("HTTP/1.2", head: ["GET / HTTP/1.2", "Host: x"], .unsupportedVersion),
        Case("target relative", head: ["GET foo HTTP/1.1", "Host: x"], .malformed(.target)),
        Case("target fragment", head: ["GET /a#b HTTP/1.1", "Host: x"], .malformed(.target)),
        Case("target bad percent", head: ["GET /a%zz HTTP/1.1", "Host: x"], .malformed(.target)),
        Case("target short percent", head: ["GET /a% HTTP/1.1", "Host: x"], .malformed(.target)),
        Case("target quote", head: ["GET /\"a HTTP/1.1", "Host: x"], .malformed(.target)),
        Case("target non-ASCII", bytes("GET /é HTTP/1.1\r\nHost: x\r\n\r\n"), .malformed(.target)),
        Case("target control", head: ["GET /\u{01} HTTP/1.1", "Host: x"], .malformed(.target)),
        Case("asterisk for GET", head: ["GET * HTTP/1.1", "Host: x"], .malformed(.target)),
        Case("authority-form", head: ["CONNECT example.com:443 HTTP/1.1", "Host: x"], .malformed(.target)),
        Case("scheme without authority", head: ["GET http:///a HTTP/1.1", "Host: x"], .malformed(.target)),
        Case("field name with @", head: ["GET / HTTP/1.1", "Host: x", "X@Y: 1"], .malformed(.fieldName)),
        Case("field name with space", head: ["GET / HTTP/1.1", "Host: x", "X Y: 1"], .malformed(.fieldName)),
        Case("empty field name", head: ["GET / HTTP/1.1", "Host: x", ": 1"], .malformed(.fieldName)),
        Case("field without colon", head: ["GET / HTTP/1.1", "Host: x", "Foo"], .malformed(.fieldName)),
        Case("field value NUL", head: ["GET / HTTP/1.1", "Host: x", "X: a\u{00}b"], .malformed(.fieldValue)),
        Case("field value control", head: ["GET / HTTP/1.1", "Host: x", "X: a\u{01}b"], .malformed(.fieldValue)),
        Case("field value DEL", head: ["GET / HTTP/1.1", "Host: x", "X: a\u{7F}b"], .malformed(.fieldValue)),
        Case("field value escape", head: ["GET / HTTP/1.1", "Host: x", "X: \u{1B}[31m"], .malformed(.fieldValue)),
    ]

    @Test(arguments: smuggling) func smugglingShapeIsRejected(_ testCase: Case) {
        expectRejection(testCase)
    }

    @Test(arguments: syntax) func malformedSyntaxIsRejected(_ testCase: Case) {
        expectRejection(testCase)
    }

    private func expectRejection(_ testCase: Case, sourceLocation: SourceLocation = #_sourceLocation) {
        let outcome = parseEverySplit(testCase.input, sourceLocation: sourceLocation)
        #expect(outcome.requests.isEmpty, sourceLocation: sourceLocation)
        #expect(outcome.error == testCase.error, sourceLocation: sourceLocation)
    }

    @Test func errorsMapToTheCatalogue() {
        #expect(HTTPParserError.malformed(.obsFold).status == 400)
        #expect(HTTPParserError.malformed(.obsFold).code == "request.malformed")
        #expect(HTTPParserError.requestLineTooLong.status == 414)
        #expect(HTTPParserError.requestLineTooLong.code == "request.header_too_large")
        #expect(HTTPParserError.headerTooLarge.status == 431)
        #expect(HTTPParserError.headerTooLarge.code == "request.header_too_large")
        #expect(HTTPParserError.payloadTooLarge.status == 413)
        #expect(HTTPParserError.payloadTooLarge.code == "request.payload_too_large")
        #expect(HTTPParserError.unsupportedTransferCoding.status == 501)
        #expect(HTTPParserError.unsupportedTransferCoding.code == "request.not_implemented")
        #expect(HTTPParserError.unsupportedVersion.status == 505)
        #expect(HTTPParserError.unsupportedVersion.code == "request.http_version")
    }

    @Test func errorResponseBodyIsCatalogueJSON() {
        let response = HTTPParserError.payloadTooLarge.response
        #expect(response.status == 413)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(
            String(decoding: response.body, as: UTF8.self)
                == #"{"code":"request.payload_too_large","message":"The request body is too large."}"#)
    }
}
