/// An incremental HTTP/1.1 request parser (RFC 9112): a pure, resumable state machine over bytes.
///
/// Feed it bytes with `append(_:)` as they arrive, in any split, and call `nextRequest()` until it
/// returns `nil` (more bytes needed). The result depends only on the bytes, never on how they were
/// split: the scan resumes exactly where it stopped, and a request is handed over only when it is
/// complete (head validated, whole body read). Every limit in `HTTPLimits` is enforced while scanning,
/// byte by byte, so an oversized line is refused as soon as it is provably too long, without waiting
/// for its end, and the body size is decided from `Content-Length` before any body byte is read.
///
/// Any error is final: the next message boundary is unknown after bad framing (RFC 9112 §11.2), so
/// the parser keeps throwing the same error and the connection answers it and closes.
///
/// **Decision: chunked request bodies are decoded** (RFC 9112 §7.1), not answered 501. Clients such
/// as `curl -T -` and some HTTP libraries stream JSON with `Transfer-Encoding: chunked`, and decoding
/// is cheap to bound: each chunk-size line is capped by `maxChunkLineBytes`, the decoded body by
/// `maxBodyBytes` (413, decided from each chunk's size before its data is read), and the trailer
/// section shares the header section's byte and field budgets (431). Chunk extensions are checked
/// against the grammar and ignored; trailer fields are returned apart in `HTTPRequest.trailers`.
///
/// Rejected as 400 + close (request smuggling shapes): `Content-Length` with `Transfer-Encoding`,
/// non-numeric or differing `Content-Length` values (identical repeats are folded, RFC 9110 §8.6),
/// `Transfer-Encoding` in HTTP/1.0 or with `chunked` not last or repeated, obs-fold, whitespace before
/// a colon, a bare LF or bare CR, non-token methods and field names, control bytes in field values,
/// a bad request-target, and a missing or repeated `Host` (RFC 9112 §3.2).
public struct HTTPRequestParser: Sendable {
    public let limits: HTTPLimits

    private var buffer: [UInt8] = []
    /// First byte not yet consumed into `pending`.
    private var readIndex = 0
    /// First byte of the current line not yet examined: a resumed scan starts here.
    private var scanIndex = 0
    private var state: State = .requestLine
    private var pending = Pending()
    private var failure: HTTPParserError?
    private var continueExpected = false

    private enum State: Sendable, Equatable {
        case requestLine
        case headers
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        /// After a head-only oversize request: the unread body and anything after it is dropped;
        /// the connection closes after the response.
        case discarding
    }

    /// The request being assembled.
    private struct Pending: Sendable {
        /// Bytes of empty lines before the request-line (RFC 9112 §2.2 lets a server skip them);
        /// they count against the request-line budget so they cannot go on forever.
        var leadingBytes = 0
        var method = ""
        var target = ""
        var path = ""
        var query: String?
        var version = HTTPVersion.http1_1
        var headers: [HTTPField] = []
        var trailers: [HTTPField] = []
        /// Header and trailer bytes so far, counted against `maxHeaderBytes`.
        var sectionBytes = 0
        var fieldCount = 0
        var body: [UInt8] = []
        // Facts about framing fields, noted as each field line is parsed so the head is not searched
        // again by name.
        var hostCount = 0
        var contentLengths: [String] = []
        var transferEncodings: [String] = []
        var connectionClose = false
        var connectionKeepAlive = false
        var expectContinue = false
    }

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Bytes received but not yet parsed (for example a pipelined request waiting its turn).
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether some bytes of a request have arrived but the request is not complete yet.
    public var hasPartialRequest: Bool {
        state != .discarding && (state != .requestLine || pending.leadingBytes > 0 || readIndex < buffer.count)
    }

    public mutating func append(_ bytes: some Collection<UInt8>) {
        guard failure == nil, !bytes.isEmpty else { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            scanIndex = 0
            readIndex = 0
        } else if readIndex >= 4096 {
            // Compact rarely, so a long pipelined buffer is not shifted once per request.
            buffer.removeSubrange(0..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next complete request, or `nil` when more bytes are needed.
    public mutating func nextRequest() throws(HTTPParserError) -> HTTPRequest? {
        if let failure { throw failure }
        do {
            return try advance()
        } catch {
            failure = error
            buffer = []
            readIndex = 0
            scanIndex = 0
            throw error
        }
    }

    /// True once per request whose head carried `Expect: 100-continue` (RFC 9110 §10.1.1) while its
    /// body has not fully arrived: the connection then sends `100 Continue`.
    public mutating func takeContinueExpectation() -> Bool {
        defer { continueExpected = false }
        return continueExpected
    }

    // MARK: - The state machine

    private mutating func advance() throws(HTTPParserError) -> HTTPRequest? {
        while true {
            switch state {
            case .requestLine:
                let budget = limits.maxRequestLineBytes - pending.leadingBytes
                guard let line = try scanLine(budget: budget, overflow: .requestLineTooLong, emptyLineExempt: false)
                else { return nil }
                if line.isEmpty {
                    pending.leadingBytes += 2
                    continue
                }
                try parseRequestLine(line)
                state = .headers

            case .headers, .trailers:
                let budget = limits.maxHeaderBytes - pending.sectionBytes - 2
                guard let line = try scanLine(budget: budget, overflow: .headerTooLarge, emptyLineExempt: true)
                else { return nil }
                if line.isEmpty {
                    if state == .trailers { return complete() }
                    if let request = try finishHead() { return request }
                    continue
                }
                guard pending.fieldCount < limits.maxHeaderCount else { throw .headerTooLarge }
                let (field, name, value) = try parseField(line)
                pending.fieldCount += 1
                pending.sectionBytes += line.count + 2
                if state == .headers {
                    noteFramingField(field, name: name, value: value)
                    // Room for a usual request's fields at once, not 1, 2, 4, 8 (a reallocation each).
                    if pending.headers.isEmpty { pending.headers.reserveCapacity(16) }
                    pending.headers.append(field)
                } else {
                    pending.trailers.append(field)
                }

            case .fixedBody(let remaining):
                let taken = takeBody(upTo: remaining)
                if taken == remaining { return complete() }
                state = .fixedBody(remaining: remaining - taken)
                return nil

            case .chunkSize:
                guard
                    let line = try scanLine(
                        budget: limits.maxChunkLineBytes, overflow: .malformed(.chunkLineTooLong), emptyLineExempt: false)
                else { return nil }
                let size = try parseChunkSize(line)
                if size == 0 {
                    state = .trailers
                } else {
                    guard size <= limits.maxBodyBytes - pending.body.count else { throw .payloadTooLarge }
                    state = .chunkData(remaining: size)
                }

            case .chunkData(let remaining):
                let taken = takeBody(upTo: remaining)
                guard taken == remaining else {
                    state = .chunkData(remaining: remaining - taken)
                    return nil
                }
                state = .chunkDataEnd

            case .chunkDataEnd:
                // chunk-data is followed by exactly CRLF (RFC 9112 §7.1).
                let available = buffer.count - readIndex
                guard available >= 1 else { return nil }
                guard buffer[readIndex] == ASCII.cr else { throw .malformed(.chunkDataTerminator) }
                guard available >= 2 else { return nil }
                guard buffer[readIndex + 1] == ASCII.lf else { throw .malformed(.chunkDataTerminator) }
                consume(upTo: readIndex + 2)
                state = .chunkSize

            case .discarding:
                consume(upTo: buffer.count)
                return nil
            }
        }
    }

    private mutating func complete() -> HTTPRequest {
        // RFC 9112 §9.3: `close` ends any connection; otherwise HTTP/1.1 persists by default and
        // HTTP/1.0 only when the client asked for `keep-alive`.
        let keepAlive =
            !pending.connectionClose && (pending.version == .http1_1 || pending.connectionKeepAlive)
        let request = HTTPRequest(
            method: pending.method, target: pending.target, path: pending.path, query: pending.query,
            version: pending.version, headers: HTTPHeaders(pending.headers), body: pending.body,
            trailers: HTTPHeaders(pending.trailers), keepAlive: keepAlive)
        pending = Pending()
        state = .requestLine
        continueExpected = false
        return request
    }

    private mutating func consume(upTo index: Int) {
        readIndex = index
        scanIndex = index
    }

    /// Moves up to `count` available bytes into the body; returns how many it moved.
    private mutating func takeBody(upTo count: Int) -> Int {
        let taken = min(count, buffer.count - readIndex)
        if taken > 0 {
            pending.body.append(contentsOf: buffer[readIndex..<(readIndex + taken)])
            consume(upTo: readIndex + taken)
        }
        return taken
    }

    // MARK: - Lines

    private enum LineScan {
        case found(lineFeed: Int)
        case needMore(scanned: Int)
        case overflow
        case bareLineFeed
        case bareCarriageReturn
    }

    /// Scans for the LF that ends the line starting at `readIndex`, resuming at `scanIndex`. A line
    /// whose content (CRLF excluded) would exceed `budget` fails with `overflow` at the first byte
    /// that proves it. With `emptyLineExempt`, the empty line closing a field section is allowed even
    /// when the budget is spent. On success, consumes the line and returns its content range.
    private mutating func scanLine(
        budget: Int, overflow: HTTPParserError, emptyLineExempt: Bool
    ) throws(HTTPParserError) -> Range<Int>? {
        let lineStart = readIndex
        let from = scanIndex
        let scan: LineScan = buffer.withUnsafeBufferPointer { bytes in
            var index = from
            while index < bytes.count {
                let byte = bytes[index]
                if byte == ASCII.lf {
                    // RFC 9112 §2.2: a line ends with CRLF; a bare LF is refused, not tolerated.
                    if index == lineStart || bytes[index - 1] != ASCII.cr { return .bareLineFeed }
                    return .found(lineFeed: index)
                }
                if index > lineStart && bytes[index - 1] == ASCII.cr { return .bareCarriageReturn }
                let offset = index - lineStart
                if offset > budget && !(emptyLineExempt && offset == 0 && byte == ASCII.cr) { return .overflow }
                guard byte != ASCII.cr else {
                    index += 1
                    continue
                }
                // The bytes after one that is not CR, up to the first CR or LF and within the budget,
                // pass every check above (no LF, no CR before them, offset within the budget): skip
                // them in a tight loop (issue 7: this scan ran a dozen instructions per header byte).
                let stop = min(bytes.count, lineStart + budget + 1)
                index += 1
                while index < stop, case let next = bytes[index], next != ASCII.cr, next != ASCII.lf { index += 1 }
            }
            return .needMore(scanned: index)
        }
        switch scan {
        case .found(let lineFeed):
            consume(upTo: lineFeed + 1)
            return lineStart..<(lineFeed - 1)
        case .needMore(let scanned):
            scanIndex = scanned
            return nil
        case .overflow:
            throw overflow
        case .bareLineFeed:
            throw .malformed(.bareLineFeed)
        case .bareCarriageReturn:
            throw .malformed(.bareCarriageReturn)
        }
    }

    private func string(_ range: Range<Int>) -> String {
        String(decoding: buffer[range], as: UTF8.self)
    }

    // MARK: - Request line (RFC 9112 §3)

    /// request-line = method SP request-target SP HTTP-version
    private mutating func parseRequestLine(_ line: Range<Int>) throws(HTTPParserError) {
        guard let firstSpace = buffer[line].firstIndex(of: ASCII.space) else { throw .malformed(.requestLine) }
        let afterMethod = firstSpace + 1
        guard let secondSpace = buffer[afterMethod..<line.upperBound].firstIndex(of: ASCII.space) else {
            throw .malformed(.requestLine)
        }
        let methodRange = line.lowerBound..<firstSpace
        let targetRange = afterMethod..<secondSpace
        let versionRange = (secondSpace + 1)..<line.upperBound

        guard !methodRange.isEmpty, buffer[methodRange].allSatisfy(ASCII.isToken) else { throw .malformed(.method) }
        guard let version = parseVersion(versionRange) else { throw .malformed(.version) }
        pending.method = string(methodRange)
        try parseTarget(targetRange)
        guard version == .http1_1 || version == .http1_0 else { throw .unsupportedVersion }
        pending.version = version
    }

    /// HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3).
    private func parseVersion(_ range: Range<Int>) -> HTTPVersion? {
        guard range.count == 8 else { return nil }
        let start = range.lowerBound
        guard buffer[start] == UInt8(ascii: "H"), buffer[start + 1] == UInt8(ascii: "T"), buffer[start + 2] == UInt8(ascii: "T"),
              buffer[start + 3] == UInt8(ascii: "P"), buffer[start + 4] == UInt8(ascii: "/") else { return nil }
        let major = buffer[start + 5]
        let minor = buffer[start + 7]
        guard ASCII.isDigit(major), buffer[start + 6] == UInt8(ascii: "."), ASCII.isDigit(minor) else { return nil }
        return HTTPVersion(major: Int(major - 0x30), minor: Int(minor - 0x30))
    }

    /// origin-form, absolute-form (http/https) or asterisk-form for OPTIONS (RFC 9112 §3.2).
    /// authority-form is CONNECT's, which a JSON API does not serve.
    private mutating func parseTarget(_ range: Range<Int>) throws(HTTPParserError) {
        guard !range.isEmpty else { throw .malformed(.target) }
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = buffer[index]
            guard ASCII.isTargetByte(byte) else { throw .malformed(.target) }
            if byte == ASCII.percent {
                guard index + 2 < range.upperBound, ASCII.hexValue(buffer[index + 1]) != nil,
                    ASCII.hexValue(buffer[index + 2]) != nil
                else { throw .malformed(.target) }
                index += 2
            }
            index += 1
        }
        if buffer[range.lowerBound] == ASCII.slash {
            pending.target = string(range)
            if let mark = buffer[range].firstIndex(of: ASCII.question) {
                pending.path = string(range.lowerBound..<mark)
                pending.query = string((mark + 1)..<range.upperBound)
            } else {
                pending.path = pending.target
                pending.query = nil
            }
            return
        }
        let target = string(range)
        pending.target = target
        if target == "*" {
            guard pending.method == "OPTIONS" else { throw .malformed(.target) }
            pending.path = "*"
            pending.query = nil
        } else if let rest = Self.dropScheme(target) {
            // absolute-form: scheme "://" authority path-abempty [ "?" query ]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            guard authorityEnd > rest.startIndex else { throw .malformed(.target) }
            splitPathAndQuery(rest[authorityEnd...])
            if pending.path.isEmpty { pending.path = "/" }
        } else {
            throw .malformed(.target)
        }
    }

    private mutating func splitPathAndQuery(_ value: Substring) {
        if let mark = value.firstIndex(of: "?") {
            pending.path = String(value[..<mark])
            pending.query = String(value[value.index(after: mark)...])
        } else {
            pending.path = String(value)
            pending.query = nil
        }
    }

    private static func dropScheme(_ target: String) -> Substring? {
        for scheme in ["http://", "https://"] where target.utf8.count > scheme.utf8.count {
            let prefix = target.prefix(scheme.count)
            if ASCII.equalsIgnoringCase(prefix, scheme) { return target.dropFirst(scheme.count) }
        }
        return nil
    }

    // MARK: - Field lines (RFC 9112 §5, RFC 9110 §5.5)

    /// field-line = field-name ":" OWS field-value OWS
    private func parseField(
        _ line: Range<Int>
    ) throws(HTTPParserError) -> (field: HTTPField, name: Range<Int>, value: Range<Int>) {
        // RFC 9112 §5.2: obs-fold is refused (400), as is whitespace before the first field (§2.2).
        guard !ASCII.isWhitespace(buffer[line.lowerBound]) else { throw .malformed(.obsFold) }
        var index = line.lowerBound
        while index < line.upperBound && ASCII.isToken(buffer[index]) { index += 1 }
        guard index < line.upperBound, buffer[index] == ASCII.colon, index > line.lowerBound else {
            // RFC 9112 §5.1: no whitespace between field name and colon.
            var probe = index
            while probe < line.upperBound && ASCII.isWhitespace(buffer[probe]) { probe += 1 }
            if probe > index, probe < line.upperBound, buffer[probe] == ASCII.colon, index > line.lowerBound {
                throw .malformed(.whitespaceBeforeColon)
            }
            throw .malformed(.fieldName)
        }
        let name = string(line.lowerBound..<index)
        var valueStart = index + 1
        var valueEnd = line.upperBound
        while valueStart < valueEnd && ASCII.isWhitespace(buffer[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart && ASCII.isWhitespace(buffer[valueEnd - 1]) { valueEnd -= 1 }
        guard buffer[valueStart..<valueEnd].allSatisfy(ASCII.isFieldValueByte) else { throw .malformed(.fieldValue) }
        return (HTTPField(name: name, value: string(valueStart..<valueEnd)), line.lowerBound..<index, valueStart..<valueEnd)
    }

    private static let hostName = Array("host".utf8)
    private static let contentLengthName = Array("content-length".utf8)
    private static let transferEncodingName = Array("transfer-encoding".utf8)
    private static let connectionName = Array("connection".utf8)
    private static let expectName = Array("expect".utf8)
    private static let closeToken = Array("close".utf8)
    private static let keepAliveToken = Array("keep-alive".utf8)
    private static let continueToken = Array("100-continue".utf8)

    /// Records what a header field says about framing and persistence.
    private mutating func noteFramingField(_ field: HTTPField, name: Range<Int>, value: Range<Int>) {
        switch name.count {
        case 4 where equalsIgnoringCase(name, Self.hostName):
            pending.hostCount += 1
        case 14 where equalsIgnoringCase(name, Self.contentLengthName):
            pending.contentLengths.append(field.value)
        case 17 where equalsIgnoringCase(name, Self.transferEncodingName):
            pending.transferEncodings.append(field.value)
        case 10 where equalsIgnoringCase(name, Self.connectionName):
            var close = false
            var keepAlive = false
            forEachListElement(in: value) { element in
                if equalsIgnoringCase(element, Self.closeToken) { close = true }
                if equalsIgnoringCase(element, Self.keepAliveToken) { keepAlive = true }
            }
            pending.connectionClose = pending.connectionClose || close
            pending.connectionKeepAlive = pending.connectionKeepAlive || keepAlive
        case 6 where equalsIgnoringCase(name, Self.expectName):
            var expectContinue = false
            forEachListElement(in: value) { element in
                if equalsIgnoringCase(element, Self.continueToken) { expectContinue = true }
            }
            pending.expectContinue = pending.expectContinue || expectContinue
        default:
            break
        }
    }

    /// Compares buffer bytes with a lowercase ASCII word, ignoring case.
    private func equalsIgnoringCase(_ range: Range<Int>, _ lowercaseWord: [UInt8]) -> Bool {
        guard range.count == lowercaseWord.count else { return false }
        var offset = 0
        for index in range {
            guard ASCII.lowercased(buffer[index]) == lowercaseWord[offset] else { return false }
            offset += 1
        }
        return true
    }

    /// Calls `body` with the range of each non-empty element of a comma-separated list, trimmed
    /// (RFC 9110 §5.6.1).
    private func forEachListElement(in range: Range<Int>, _ body: (Range<Int>) -> Void) {
        var start = range.lowerBound
        while start <= range.upperBound {
            var end = start
            while end < range.upperBound && buffer[end] != ASCII.comma { end += 1 }
            var low = start
            var high = end
            while low < high && ASCII.isWhitespace(buffer[low]) { low += 1 }
            while high > low && ASCII.isWhitespace(buffer[high - 1]) { high -= 1 }
            if low < high { body(low..<high) }
            start = end + 1
        }
    }

    // MARK: - Framing (RFC 9112 §6)

    /// Validates the head and decides how the body is framed. Returns the request when it has no body.
    private mutating func finishHead() throws(HTTPParserError) -> HTTPRequest? {
        guard pending.hostCount <= 1 else { throw .malformed(.multipleHosts) }
        guard pending.hostCount == 1 || pending.version != .http1_1 else { throw .malformed(.missingHost) }

        let transferEncodings = pending.transferEncodings
        let contentLengths = pending.contentLengths
        let expectsContinue = pending.version == .http1_1 && pending.expectContinue

        if !transferEncodings.isEmpty {
            // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing; with Content-Length
            // it is the classic smuggling shape, refused rather than resolved.
            guard pending.version == .http1_1 else { throw .malformed(.transferEncodingInHTTP10) }
            guard contentLengths.isEmpty else { throw .malformed(.contentLengthWithTransferEncoding) }
            try Self.checkTransferCodings(transferEncodings)
            continueExpected = expectsContinue
            state = .chunkSize
            return nil
        }
        if !contentLengths.isEmpty {
            let length = try Self.contentLength(contentLengths)
            guard length <= limits.maxBodyBytes else {
                guard limits.deliverOversizeRequests else { throw .payloadTooLarge }
                var request = complete()
                request.bodyTooLarge = true
                request.keepAlive = false
                state = .discarding
                return request
            }
            if length > 0 {
                pending.body.reserveCapacity(length)
                continueExpected = expectsContinue
                state = .fixedBody(remaining: length)
                return nil
            }
        }
        return complete()
    }

    /// Only a single, final `chunked` is understood. `chunked` repeated or not last leaves the body
    /// length undeterminable (RFC 9112 §6.3 ¶4) → 400; any other coding → 501 (RFC 9112 §6.1).
    private static func checkTransferCodings(_ values: [String]) throws(HTTPParserError) {
        var codings: [Substring] = []
        for value in values {
            for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                let coding = ASCII.trimmingWhitespace(element)
                guard !coding.isEmpty, coding.utf8.allSatisfy(ASCII.isToken) else {
                    throw .malformed(.transferEncoding)
                }
                codings.append(coding)
            }
        }
        let chunkedCount = codings.count { ASCII.equalsIgnoringCase($0, "chunked") }
        if chunkedCount > 1 { throw .malformed(.transferEncoding) }
        if chunkedCount == 1, let last = codings.last, !ASCII.equalsIgnoringCase(last, "chunked") {
            throw .malformed(.transferEncoding)
        }
        if codings.count != 1 || chunkedCount != 1 { throw .unsupportedTransferCoding }
    }

    /// Content-Length = 1*DIGIT. Repeats (as fields or a list) must be textually identical and are
    /// folded into one (RFC 9110 §8.6). Values beyond `Int` saturate, so they fail the body limit.
    private static func contentLength(_ values: [String]) throws(HTTPParserError) -> Int {
        // The usual case, one field of digits, read from its bytes (issue 7: splitting and trimming
        // it as text was a fifth of the parser's work per request). Anything else, below.
        if values.count == 1, let only = values.first, !only.isEmpty, only.utf8.allSatisfy(ASCII.isDigit) {
            return saturatingDecimal(only.utf8)
        }
        var first: Substring?
        for value in values {
            for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                let text = ASCII.trimmingWhitespace(element)
                guard !text.isEmpty, text.utf8.allSatisfy(ASCII.isDigit) else { throw .malformed(.contentLength) }
                if let first {
                    guard first == text else { throw .malformed(.contentLength) }
                } else {
                    first = text
                }
            }
        }
        guard let first else { throw .malformed(.contentLength) }
        return saturatingDecimal(first.utf8)
    }

    /// The value of ASCII digits, `Int.max` when it does not fit.
    private static func saturatingDecimal(_ digits: some Sequence<UInt8>) -> Int {
        var length = 0
        for digit in digits {
            length = length > (Int.max - 9) / 10 ? Int.max : length * 10 + Int(digit - 0x30)
        }
        return length
    }

    // MARK: - Chunked coding (RFC 9112 §7.1)

    /// chunk-size [ chunk-ext ], where chunk-size = 1*HEXDIG.
    private func parseChunkSize(_ line: Range<Int>) throws(HTTPParserError) -> Int {
        var index = line.lowerBound
        var size = 0
        while index < line.upperBound, let digit = ASCII.hexValue(buffer[index]) {
            size = size > (Int.max - 15) / 16 ? Int.max : size * 16 + digit
            index += 1
        }
        guard index > line.lowerBound else { throw .malformed(.chunkSize) }
        try checkChunkExtensions(index..<line.upperBound)
        return size
    }

    /// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), where the name is
    /// a token and the value a token or quoted-string (RFC 9112 §7.1.1). Checked, then ignored.
    private func checkChunkExtensions(_ range: Range<Int>) throws(HTTPParserError) {
        var index = range.lowerBound
        let end = range.upperBound
        func skipWhitespace() {
            while index < end && ASCII.isWhitespace(buffer[index]) { index += 1 }
        }
        func token() -> Bool {
            let start = index
            while index < end && ASCII.isToken(buffer[index]) { index += 1 }
            return index > start
        }
        while true {
            skipWhitespace()
            guard index < end else { return }
            guard buffer[index] == ASCII.semicolon else { throw .malformed(.chunkExtension) }
            index += 1
            skipWhitespace()
            guard token() else { throw .malformed(.chunkExtension) }
            skipWhitespace()
            guard index < end, buffer[index] == ASCII.equals else { continue }
            index += 1
            skipWhitespace()
            if index < end && buffer[index] == ASCII.quote {
                index += 1
                var closed = false
                while index < end {
                    let byte = buffer[index]
                    if byte == ASCII.quote {
                        closed = true
                        index += 1
                        break
                    }
                    if byte == ASCII.backslash {
                        guard index + 1 < end, ASCII.isFieldValueByte(buffer[index + 1]) else {
                            throw .malformed(.chunkExtension)
                        }
                        index += 2
                        continue
                    }
                    guard ASCII.isFieldValueByte(byte) else { throw .malformed(.chunkExtension) }
                    index += 1
                }
                guard closed else { throw .malformed(.chunkExtension) }
            } else {
                guard token() else { throw .malformed(.chunkExtension) }
            }
        }
    }
}
