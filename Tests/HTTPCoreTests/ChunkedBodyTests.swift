import Testing

@testable import HTTPCore

@Suite struct ChunkedBodyTests {
    static func chunked(_ body: String, extraHeaders: [String] = []) -> [UInt8] {
        bytes((["POST /c HTTP/1.1", "Host: x", "Transfer-Encoding: chunked"] + extraHeaders).joined(separator: "\r\n") + "\r\n\r\n" + body)
    }

    @Test func decodesChunks() throws {
        let request = try #require(parseOne(Self.chunked("5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n")))
        #expect(request.body == bytes("hello world"))
        #expect(request.trailers.isEmpty)
    }

    @Test func acceptsUppercaseHexAndLeadingZeros() throws {
        let request = try #require(parseOne(Self.chunked("00A\r\n0123456789\r\n000\r\n\r\n")))
        #expect(request.body == bytes("0123456789"))
    }

    @Test func transferCodingNameIsCaseInsensitive() throws {
        let input = bytes("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n1\r\na\r\n0\r\n\r\n")
        #expect(try #require(parseOne(input)).body == bytes("a"))
    }

    @Test func ignoresChunkExtensions() throws {
        let body = "5;name=value\r\nhello\r\n3 ; a = \"q\\\"x;y\" ; flag\r\nabc\r\n0;last\r\n\r\n"
        let request = try #require(parseOne(Self.chunked(body)))
        #expect(request.body == bytes("helloabc"))
    }

    @Test func keepsTrailersApart() throws {
        let request = try #require(parseOne(Self.chunked("2\r\nhi\r\n0\r\nX-Checksum: 42\r\nX-Other: a\r\n\r\n")))
        #expect(request.body == bytes("hi"))
        #expect(request.trailers.fields == [HTTPField(name: "X-Checksum", value: "42"), HTTPField(name: "X-Other", value: "a")])
        #expect(request.headers["X-Checksum"] == nil)
    }

    @Test func emptyChunkedBody() throws {
        #expect(try #require(parseOne(Self.chunked("0\r\n\r\n"))).body.isEmpty)
    }

    @Test func pipelinedRequestAfterChunkedBodyIsParsed() {
        let input = Self.chunked("3\r\nabc\r\n0\r\n\r\n") + crlf("GET /next HTTP/1.1", "Host: x", "", "")
        let outcome = parseEverySplit(input)
        #expect(outcome.requests.map(\.path) == ["/c", "/next"])
    }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var body: String
        var error: HTTPParserError
        var description: String { name }
    }

    static let malformed: [Case] = [
        Case(name: "bad hex", body: "zz\r\nhello\r\n0\r\n\r\n", error: .malformed(.chunkSize)),
        Case(name: "empty size line", body: "\r\nhello\r\n0\r\n\r\n", error: .malformed(.chunkSize)),
        Case(name: "negative size", body: "-5\r\nhello\r\n0\r\n\r\n", error: .malformed(.chunkSize)),
        Case(name: "hex prefix", body: "0x5\r\nhello\r\n0\r\n\r\n", error: .malformed(.chunkExtension)),
        Case(name: "junk after size", body: "5 x\r\nhello\r\n0\r\n\r\n", error: .malformed(.chunkExtension)),
        Case(name: "extension without name", body: "5;\r\nhello\r\n0\r\n\r\n", error: .malformed(.chunkExtension)),
        Case(name: "extension without value", body: "5;a=\r\nhello\r\n0\r\n\r\n", error: .malformed(.chunkExtension)),
        Case(name: "unterminated quoted extension", body: "5;a=\"x\r\nhello\r\n0\r\n\r\n", error: .malformed(.chunkExtension)),
        Case(name: "control in extension", body: "5;a=\"\u{01}\"\r\nhello\r\n0\r\n\r\n", error: .malformed(.chunkExtension)),
        Case(name: "data longer than size", body: "3\r\nhello\r\n0\r\n\r\n", error: .malformed(.chunkDataTerminator)),
        Case(name: "data shorter than size", body: "7\r\nhello\r\n0\r\n\r\n", error: .malformed(.chunkDataTerminator)),
        Case(name: "bare LF after size", body: "5\nhello\r\n0\r\n\r\n", error: .malformed(.bareLineFeed)),
        Case(name: "bare LF after data", body: "5\r\nhello\n0\r\n\r\n", error: .malformed(.chunkDataTerminator)),
        Case(name: "bare LF ending trailers", body: "5\r\nhello\r\n0\r\n\n", error: .malformed(.bareLineFeed)),
        Case(name: "obs-fold in trailer", body: "0\r\nX: a\r\n b\r\n\r\n", error: .malformed(.obsFold)),
        Case(name: "bad trailer name", body: "0\r\nX Y: a\r\n\r\n", error: .malformed(.fieldName)),
        Case(name: "oversize chunk", body: "10001\r\n", error: .payloadTooLarge),
        Case(name: "overflowing size", body: "ffffffffffffffffffffffff\r\n", error: .payloadTooLarge),
    ]

    @Test(arguments: malformed) func malformedChunkingIsRejected(_ testCase: Case) {
        let outcome = parseEverySplit(Self.chunked(testCase.body))
        #expect(outcome.requests.isEmpty)
        #expect(outcome.error == testCase.error)
    }

    @Test func decodedBodyAtLimitIsAccepted() {
        let chunk = String(repeating: "a", count: 0x4000)
        let body = Array(repeating: "4000\r\n" + chunk + "\r\n", count: 4).joined() + "0\r\n\r\n"
        let outcome = parseEverySplit(Self.chunked(body))
        #expect(outcome.error == nil)
        #expect(outcome.requests.first?.body.count == 65_536)
    }

    @Test func decodedBodyOverLimitIs413BeforeTheChunkData() {
        let chunk = String(repeating: "a", count: 0x4000)
        // The fifth chunk's size alone tips the body over; its data is never sent.
        let body = Array(repeating: "4000\r\n" + chunk + "\r\n", count: 4).joined() + "1\r\n"
        #expect(parseEverySplit(Self.chunked(body)).error == .payloadTooLarge)
    }

    @Test func chunkLineAtLimitIsAccepted() {
        let limits = HTTPLimits()
        let line = "1;x=" + String(repeating: "v", count: limits.maxChunkLineBytes - 4)
        #expect(parseEverySplit(Self.chunked(line + "\r\na\r\n0\r\n\r\n")).error == nil)
    }

    @Test func chunkLineOverLimitIsRejected() {
        let limits = HTTPLimits()
        let line = "1;x=" + String(repeating: "v", count: limits.maxChunkLineBytes - 3)
        #expect(parseEverySplit(Self.chunked(line + "\r\na\r\n0\r\n\r\n")).error == .malformed(.chunkLineTooLong))
    }

    @Test func trailerBytesCountAgainstTheHeaderBudget() {
        let limits = HTTPLimits()
        // "Host: x\r\nTransfer-Encoding: chunked\r\n" is 37 bytes; the trailer fills the rest exactly.
        let headBytes = 37
        let fill = limits.maxHeaderBytes - headBytes - "X-T: \r\n".utf8.count
        let atLimit = "0\r\nX-T: " + String(repeating: "t", count: fill) + "\r\n\r\n"
        #expect(parseEverySplit(Self.chunked(atLimit)).error == nil)
        let over = "0\r\nX-T: " + String(repeating: "t", count: fill + 1) + "\r\n\r\n"
        #expect(parseEverySplit(Self.chunked(over)).error == .headerTooLarge)
    }

    @Test func trailerFieldsCountAgainstTheFieldLimit() {
        // The head has 2 fields; 98 trailers make 100, 99 make 101.
        let atLimit = "0\r\n" + (1...98).map { "T-\($0): v\r\n" }.joined() + "\r\n"
        #expect(parseEverySplit(Self.chunked(atLimit)).error == nil)
        let over = "0\r\n" + (1...99).map { "T-\($0): v\r\n" }.joined() + "\r\n"
        #expect(parseEverySplit(Self.chunked(over)).error == .headerTooLarge)
    }
}
