import Testing

@testable import HTTPCore

@Suite struct ParserAcceptanceTests {
    @Test func parsesSimpleGet() throws {
        let request = try #require(parseOne(crlf("GET /healthz HTTP/1.1", "Host: localhost", "", "")))
        #expect(request.method == "GET")
        #expect(request.target == "/healthz")
        #expect(request.path == "/healthz")
        #expect(request.query == nil)
        #expect(request.version == .http1_1)
        #expect(request.headers.fields == [HTTPField(name: "Host", value: "localhost")])
        #expect(request.body.isEmpty)
        #expect(request.keepAlive)
    }

    @Test func parsesPostWithContentLengthBody() throws {
        let body = #"{"email":"a@b.co"}"#
        let request = try #require(
            parseOne(
                crlf(
                    "POST /api/verification-codes HTTP/1.1", "Host: x", "Content-Type: application/json",
                    "Content-Length: \(body.utf8.count)", "", body)))
        #expect(request.body == bytes(body))
        #expect(request.headers["content-type"] == "application/json")
    }

    @Test func splitsQueryFromPath() throws {
        let request = try #require(parseOne(crlf("GET /a/b?x=1&y=%20 HTTP/1.1", "Host: x", "", "")))
        #expect(request.path == "/a/b")
        #expect(request.query == "x=1&y=%20")
    }

    @Test func acceptsAbsoluteFormTarget() throws {
        let request = try #require(parseOne(crlf("GET http://example.com:8080/p?q HTTP/1.1", "Host: example.com", "", "")))
        #expect(request.path == "/p")
        #expect(request.query == "q")
        let bare = try #require(parseOne(crlf("GET HTTPS://example.com HTTP/1.1", "Host: example.com", "", "")))
        #expect(bare.path == "/")
    }

    @Test func acceptsAsteriskFormForOptions() throws {
        let request = try #require(parseOne(crlf("OPTIONS * HTTP/1.1", "Host: x", "", "")))
        #expect(request.path == "*")
    }

    @Test func skipsEmptyLinesBeforeRequestLine() throws {
        let request = try #require(parseOne(crlf("", "", "GET / HTTP/1.1", "Host: x", "", "")))
        #expect(request.path == "/")
    }

    @Test func trimsOptionalWhitespaceAroundFieldValues() throws {
        let request = try #require(parseOne(crlf("GET / HTTP/1.1", "Host:x", "X-A: \t v a \t", "X-B:", "", "")))
        #expect(request.headers["host"] == "x")
        #expect(request.headers["X-A"] == "v a")
        #expect(request.headers["x-b"] == "")
    }

    @Test func keepsRepeatedFieldsInOrder() throws {
        let request = try #require(parseOne(crlf("GET / HTTP/1.1", "Host: x", "Accept: a", "accept: b", "", "")))
        #expect(request.headers.values(for: "ACCEPT") == ["a", "b"])
    }

    @Test func acceptsObsTextInFieldValues() throws {
        var input = crlf("GET / HTTP/1.1", "Host: x", "X-Name: caf")
        input += [0xC3, 0xA9] + crlf("", "", "")
        let request = try #require(parseOne(input))
        #expect(request.headers["x-name"] == "café")
    }

    @Test func foldsIdenticalRepeatedContentLength() throws {
        let request = try #require(
            parseOne(crlf("POST / HTTP/1.1", "Host: x", "Content-Length: 3", "Content-Length: 3, 3", "", "abc")))
        #expect(request.body == bytes("abc"))
    }

    @Test func acceptsHTTP10WithoutHost() throws {
        let request = try #require(parseOne(crlf("GET / HTTP/1.0", "", "")))
        #expect(request.version == .http1_0)
    }

    @Test func zeroContentLengthMeansEmptyBody() throws {
        let request = try #require(parseOne(crlf("POST / HTTP/1.1", "Host: x", "Content-Length: 0", "", "")))
        #expect(request.body.isEmpty)
    }

    @Test func parsesPipelinedRequestsInOrder() {
        let input =
            crlf("GET /1 HTTP/1.1", "Host: x", "", "")
            + crlf("POST /2 HTTP/1.1", "Host: x", "Content-Length: 2", "", "hi")
            + crlf("GET /3 HTTP/1.1", "Host: x", "", "")
        let outcome = parseEverySplit(input)
        #expect(outcome.requests.map(\.path) == ["/1", "/2", "/3"])
        #expect(outcome.requests[1].body == bytes("hi"))
        #expect(outcome.error == nil)
        #expect(!outcome.partial)
    }

    @Test func incompleteRequestIsHeldBack() {
        let outcome = parseEverySplit(crlf("POST / HTTP/1.1", "Host: x", "Content-Length: 5", "", "abc"))
        #expect(outcome.requests.isEmpty)
        #expect(outcome.error == nil)
        #expect(outcome.partial)
    }

    @Test func errorIsFinal() {
        var parser = HTTPRequestParser()
        parser.append(crlf("GET / HTTP/1.1", "Host : x", "", ""))
        #expect(throws: HTTPParserError.malformed(.whitespaceBeforeColon)) { try parser.nextRequest() }
        parser.append(crlf("GET / HTTP/1.1", "Host: x", "", ""))
        #expect(throws: HTTPParserError.malformed(.whitespaceBeforeColon)) { try parser.nextRequest() }
    }
}

@Suite struct KeepAliveTests {
    struct Case: Sendable, CustomStringConvertible {
        var version: String
        var connection: String?
        var keepAlive: Bool
        var description: String { "\(version) Connection: \(connection ?? "-") → \(keepAlive)" }
    }

    // RFC 9112 §9.3.
    static let cases: [Case] = [
        Case(version: "HTTP/1.1", connection: nil, keepAlive: true),
        Case(version: "HTTP/1.1", connection: "close", keepAlive: false),
        Case(version: "HTTP/1.1", connection: "Close", keepAlive: false),
        Case(version: "HTTP/1.1", connection: "keep-alive, close", keepAlive: false),
        Case(version: "HTTP/1.1", connection: "keep-alive", keepAlive: true),
        Case(version: "HTTP/1.1", connection: "upgrade", keepAlive: true),
        Case(version: "HTTP/1.0", connection: nil, keepAlive: false),
        Case(version: "HTTP/1.0", connection: "keep-alive", keepAlive: true),
        Case(version: "HTTP/1.0", connection: "Keep-Alive", keepAlive: true),
        Case(version: "HTTP/1.0", connection: "keep-alive , close", keepAlive: false),
    ]

    @Test(arguments: cases) func persistenceFollowsVersionAndConnectionHeader(_ testCase: Case) throws {
        var lines = ["GET / " + testCase.version, "Host: x"]
        if let connection = testCase.connection { lines.append("Connection: " + connection) }
        let request = try #require(parseOne(bytes(lines.joined(separator: "\r\n") + "\r\n\r\n")))
        #expect(request.keepAlive == testCase.keepAlive)
    }
}
