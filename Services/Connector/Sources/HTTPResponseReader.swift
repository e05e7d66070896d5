/// Reads one HTTP/1.1 response from a socket (RFC 9112): status line, header section, and the body
/// framed by `Transfer-Encoding: chunked`, `Content-Length`, or the end of the connection (§6.3).
/// Everything from the server is bounded (line length, header bytes and count, body size) and ends
/// at `until`; anything malformed is a transient failure whose reason never quotes the server.
struct HTTPResponseReader {
    static let maxLineLength = 8 * 1024
    static let maxHeaderBytes = 64 * 1024
    static let maxHeaderCount = 100
    static let maxBodyBytes = 1 << 20

    let socket: ClientSocket
    let label: String
    let until: ContinuousClock.Instant

    /// The response, and whether the connection may carry another request afterwards.
    func read() throws(DeliveryFailure) -> (response: HTTPResponse, reusable: Bool) {
        var headerBudget = Self.maxHeaderBytes
        var head: Head
        repeat {
            head = try readHead(budget: &headerBudget)
            // RFC 9110 §15.2: interim responses (100 Continue, 103 Early Hints) precede the final one;
            // 101 would switch protocols, which we never asked for.
            if head.status == 101 { throw malformed }
        } while head.status < 200

        var headers: [String: String] = [:]
        for (name, value) in head.fields {
            if let existing = headers[name] { headers[name] = existing + ", " + value } else { headers[name] = value }
        }
        let connectionTokens = Set(Self.tokens(headers["connection"]))
        var reusable = head.minorVersion >= 1 ? !connectionTokens.contains("close") : connectionTokens.contains("keep-alive")

        let body: [UInt8]
        if head.status == 204 || head.status == 304 {
            body = []
        } else if let transferEncoding = headers["transfer-encoding"] {
            // §6.1: chunked must be the final coding; otherwise the body runs to the close. With both
            // headers present, Transfer-Encoding wins and the connection must not be reused (§6.3 item 3).
            if headers["content-length"] != nil { reusable = false }
            if Self.tokens(transferEncoding).last == "chunked" {
                body = try readChunked(headerBudget: &headerBudget)
            } else {
                reusable = false
                body = try readToClose()
            }
        } else if let lengthField = headers["content-length"] {
            guard let length = Self.contentLength(lengthField) else { throw malformed }
            body = try readExactly(length)
        } else {
            reusable = false
            body = try readToClose()
        }
        if socket.bufferedCount > 0 { reusable = false }
        return (HTTPResponse(status: head.status, headers: headers, body: body), reusable)
    }

    private struct Head {
        var minorVersion: Int
        var status: Int
        var fields: [(String, String)]
    }

    private var malformed: DeliveryFailure { .transient("\(label): the server sent a malformed HTTP response") }
    private var tooLarge: DeliveryFailure { .transient("\(label): the server sent an over-large HTTP response") }

    private func line(budget: inout Int) throws(DeliveryFailure) -> [UInt8] {
        let line = try socket.readLine(maxLength: min(Self.maxLineLength, budget), until: until)
        budget -= line.count + 2
        guard line.count <= Self.maxLineLength, budget >= 0 else { throw tooLarge }
        return line
    }

    private func readHead(budget: inout Int) throws(DeliveryFailure) -> Head {
        let statusLine = try line(budget: &budget)
        // `HTTP/1.x SSS reason` (§4); the reason phrase may be empty, even without its space.
        guard statusLine.count >= 12, statusLine.starts(with: Array("HTTP/1.".utf8)),
              let minor = Self.digit(statusLine[7]), statusLine[8] == UInt8(ascii: " "),
              let s1 = Self.digit(statusLine[9]), let s2 = Self.digit(statusLine[10]), let s3 = Self.digit(statusLine[11]),
              statusLine.count == 12 || statusLine[12] == UInt8(ascii: " ")
        else { throw malformed }
        let status = s1 * 100 + s2 * 10 + s3
        guard (100...599).contains(status) else { throw malformed }
        var fields: [(String, String)] = []
        while true {
            let fieldLine = try line(budget: &budget)
            if fieldLine.isEmpty { break }
            if fieldLine[0] == UInt8(ascii: " ") || fieldLine[0] == UInt8(ascii: "\t") {
                // Obsolete line folding (§5.2): a recipient may replace it with a space.
                guard let last = fields.popLast() else { throw malformed }
                fields.append((last.0, last.1 + " " + Self.trimmed(fieldLine[...])))
                continue
            }
            guard let colon = fieldLine.firstIndex(of: UInt8(ascii: ":")), colon > 0,
                  fieldLine[..<colon].allSatisfy(Self.isTokenByte)
            else { throw malformed }
            fields.append((String(decoding: fieldLine[..<colon], as: UTF8.self).lowercased(), Self.trimmed(fieldLine[(colon + 1)...])))
            guard fields.count <= Self.maxHeaderCount else { throw tooLarge }
        }
        return Head(minorVersion: minor, status: status, fields: fields)
    }

    private func readExactly(_ count: Int) throws(DeliveryFailure) -> [UInt8] {
        guard count <= Self.maxBodyBytes else { throw tooLarge }
        while socket.bufferedCount < count {
            guard try socket.fill(until: until) else { throw .transient("\(label): the server closed the connection mid-response") }
        }
        return socket.take(upTo: count)
    }

    private func readToClose() throws(DeliveryFailure) -> [UInt8] {
        while try socket.fill(until: until) {
            guard socket.bufferedCount <= Self.maxBodyBytes else { throw tooLarge }
        }
        return socket.take(upTo: socket.bufferedCount)
    }

    /// §7.1: `size[;ext]CRLF data CRLF` … `0CRLF`, trailer fields, CRLF. Trailers are read and dropped.
    private func readChunked(headerBudget: inout Int) throws(DeliveryFailure) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeLine = try line(budget: &headerBudget)
            let digits = sizeLine.prefix { $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
            // Eight hex digits already exceed the body cap; more could only overflow.
            guard (1...8).contains(digits.count), digits.allSatisfy(Self.isHexDigit),
                  let size = Int(String(decoding: digits, as: UTF8.self), radix: 16)
            else { throw malformed }
            if size == 0 { break }
            guard body.count + size <= Self.maxBodyBytes else { throw tooLarge }
            body += try readExactly(size)
            guard try line(budget: &headerBudget).isEmpty else { throw malformed }
        }
        while try !line(budget: &headerBudget).isEmpty {}
        return body
    }

    /// A `Content-Length` value (§6.3 item 5): digits, or a list of identical ones; nil otherwise.
    static func contentLength(_ value: String) -> Int? {
        let parts = value.split(separator: ",").map { trimmed(Array($0.utf8)[...]) }
        guard let first = parts.first, parts.allSatisfy({ $0 == first }), (1...12).contains(first.count),
              first.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return Int(first)
    }

    /// The comma-separated tokens of a header value, lowercased.
    static func tokens(_ value: String?) -> [String] {
        guard let value else { return [] }
        return value.split(separator: ",").map { trimmed(Array($0.utf8)[...]).lowercased() }.filter { !$0.isEmpty }
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): true
        default: false
        }
    }

    /// `tchar` (RFC 9110 §5.6.2).
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Without leading and trailing spaces and tabs (optional white space, RFC 9110 §5.6.3).
    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> String {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice.removeFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice.removeLast() }
        return String(decoding: slice, as: UTF8.self)
    }
}
