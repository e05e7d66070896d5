import Testing

@testable import HTTPCore

/// Each limit exactly at its boundary (accepted) and one byte or field over (refused), with the
/// default numbers of the contract: 8 KiB request line, 16 KiB / 100 header fields, 64 KiB body.
@Suite struct ParserLimitTests {
    static let limits = HTTPLimits()

    /// A request line of exactly `length` bytes, CRLF excluded.
    static func requestLine(length: Int) -> String {
        let fixed = "GET /".utf8.count + " HTTP/1.1".utf8.count
        return "GET /" + String(repeating: "a", count: length - fixed) + " HTTP/1.1"
    }

    /// A header section of exactly `length` bytes (each field line with its CRLF), `Host` included.
    static func headerSection(length: Int) -> String {
        let host = "Host: x\r\n"
        let padding = length - host.utf8.count - "X-Pad: \r\n".utf8.count
        return host + "X-Pad: " + String(repeating: "p", count: padding) + "\r\n"
    }

    @Test func requestLineAtLimitIsAccepted() {
        let input = bytes(Self.requestLine(length: Self.limits.maxRequestLineBytes) + "\r\nHost: x\r\n\r\n")
        let outcome = parseEverySplit(input)
        #expect(outcome.error == nil)
        #expect(outcome.requests.first?.target.utf8.count == Self.limits.maxRequestLineBytes - 13)
    }

    @Test func requestLineOverLimitIs414() {
        let input = bytes(Self.requestLine(length: Self.limits.maxRequestLineBytes + 1) + "\r\nHost: x\r\n\r\n")
        #expect(parseEverySplit(input).error == .requestLineTooLong)
    }

    @Test func unterminatedLongRequestLineIs414WithoutWaitingForItsEnd() {
        // No CRLF ever comes: the limit must trip while scanning.
        let input = bytes("GET /" + String(repeating: "a", count: Self.limits.maxRequestLineBytes))
        #expect(parseEverySplit(input).error == .requestLineTooLong)
    }

    /// Where a line with no end yet is refused: its bytes up to the budget, and one more (the CR
    /// of its end may stand there), only wait for more; the next byte is refused. Fed a byte at a
    /// time and in one piece, with text or CR as the byte at the budget.
    @Test func anOverlongLineIsRefusedAtTheFirstBytePastItsBudget() throws {
        let small = HTTPLimits(maxRequestLineBytes: 26, maxHeaderBytes: 30, maxHeaderCount: 4, maxBodyBytes: 3)
        let requestLine = bytes("GET /0123456789ab HTTP/1.1")  // exactly 26
        // A field line at its budget: 30 header bytes, less 9 for `Host: x` and its CRLF, less 2
        // kept for the CRLF that ends the section.
        let header = bytes("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: 0123456789ab")
        for (prefix, error) in [(requestLine, HTTPParserError.requestLineTooLong), (header, .headerTooLarge)] {
            for atBudget in [UInt8(ascii: "z"), ASCII.cr] {
                for byteByByte in [false, true] {
                    var parser = HTTPRequestParser(limits: small)
                    for piece in (byteByByte ? prefix.map { [$0] } : [prefix]) {
                        parser.append(piece)
                        #expect(try parser.nextRequest() == nil)
                    }
                    parser.append([atBudget])
                    #expect(try parser.nextRequest() == nil)
                    parser.append([UInt8(ascii: "z")])
                    #expect(throws: atBudget == ASCII.cr ? .malformed(.bareCarriageReturn) : error) { try parser.nextRequest() }
                }
                // All in one piece: the scan over it stops at the same byte.
                var whole = HTTPRequestParser(limits: small)
                whole.append(prefix + [atBudget, UInt8(ascii: "z")])
                #expect(throws: atBudget == ASCII.cr ? .malformed(.bareCarriageReturn) : error) { try whole.nextRequest() }
                var waiting = HTTPRequestParser(limits: small)
                waiting.append(prefix + [atBudget])
                #expect(try waiting.nextRequest() == nil)
            }
        }
    }

    @Test func emptyLinesBeforeRequestLineCountAgainstItsLimit() {
        let input = Array(repeating: bytes("\r\n"), count: 5000).flatMap { $0 }
        #expect(parseEverySplit(input).error == .requestLineTooLong)
    }

    @Test func headerSectionAtLimitIsAccepted() {
        let section = Self.headerSection(length: Self.limits.maxHeaderBytes)
        #expect(section.utf8.count == Self.limits.maxHeaderBytes)
        let outcome = parseEverySplit(bytes("GET / HTTP/1.1\r\n" + section + "\r\n"))
        #expect(outcome.error == nil)
        #expect(outcome.requests.count == 1)
    }

    @Test func headerSectionOverLimitIs431() {
        let section = Self.headerSection(length: Self.limits.maxHeaderBytes + 1)
        #expect(parseEverySplit(bytes("GET / HTTP/1.1\r\n" + section + "\r\n")).error == .headerTooLarge)
    }

    @Test func unterminatedHugeHeaderIs431WithoutWaitingForItsEnd() {
        let input = bytes("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + String(repeating: "p", count: Self.limits.maxHeaderBytes))
        #expect(parseEverySplit(input).error == .headerTooLarge)
    }

    static func fields(_ count: Int) -> String {
        "Host: x\r\n" + (1..<count).map { "X-\($0): v\r\n" }.joined()
    }

    @Test func hundredFieldsAreAccepted() {
        let outcome = parseEverySplit(bytes("GET / HTTP/1.1\r\n" + Self.fields(100) + "\r\n"))
        #expect(outcome.error == nil)
        #expect(outcome.requests.first?.headers.count == 100)
    }

    @Test func hundredAndOneFieldsAre431() {
        #expect(parseEverySplit(bytes("GET / HTTP/1.1\r\n" + Self.fields(101) + "\r\n")).error == .headerTooLarge)
    }

    @Test func bodyAtLimitIsAccepted() {
        let body = [UInt8](repeating: 0x61, count: Self.limits.maxBodyBytes)
        let input = crlf("POST / HTTP/1.1", "Host: x", "Content-Length: \(body.count)", "", "") + body
        let outcome = parseEverySplit(input)
        #expect(outcome.error == nil)
        #expect(outcome.requests.first?.body == body)
    }

    @Test func bodyOverLimitIs413FromContentLengthBeforeAnyBodyByte() {
        // Only the head is sent: the decision must not wait for the body.
        let input = crlf("POST / HTTP/1.1", "Host: x", "Content-Length: \(Self.limits.maxBodyBytes + 1)", "", "")
        #expect(parseEverySplit(input).error == .payloadTooLarge)
    }

    @Test func absurdContentLengthIs413() {
        let input = crlf("POST / HTTP/1.1", "Host: x", "Content-Length: 99999999999999999999999999", "", "")
        #expect(parseEverySplit(input).error == .payloadTooLarge)
    }

    @Test func limitsAreConfigurable() {
        let small = HTTPLimits(maxRequestLineBytes: 26, maxHeaderBytes: 30, maxHeaderCount: 2, maxBodyBytes: 3)
        #expect(parseEverySplit(crlf("GET /0123456789ab HTTP/1.1", "Host: x", "", ""), limits: small).error == nil)
        #expect(
            parseEverySplit(crlf("GET /0123456789abc HTTP/1.1", "Host: x", "", ""), limits: small).error == .requestLineTooLong)
        #expect(parseEverySplit(crlf("GET / HTTP/1.1", "Host: x", "A: 1", "B: 2", "", ""), limits: small).error == .headerTooLarge)
        #expect(
            parseEverySplit(crlf("POST / HTTP/1.1", "Host: x", "Content-Length: 4", "", "abcd"), limits: small).error
                == .payloadTooLarge)
    }
}
