/// Serialises responses: status line, `Server`, `Date`, the handler's headers, `Content-Length`,
/// `Connection`, the empty line, then the body. Framing is always `Content-Length`: handlers build
/// whole bodies, so there is never a reason to chunk a response.
public struct HTTPResponseEncoder: Sendable {
    public let dateCache: DateCache

    public init(dateCache: DateCache) {
        self.dateCache = dateCache
    }

    /// Headers the encoder owns; a handler's copies are dropped so framing cannot be contradicted.
    private static let ownedFields = ["Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Date", "Server"]

    /// Encodes `response` as the answer to a `method` request of `version`. `keepAlive: false` adds
    /// `Connection: close`; an HTTP/1.0 client that may keep the connection gets `Connection: keep-alive`
    /// (RFC 9112 §9.3). 1xx, 204 and 304 carry no body and no `Content-Length`; a HEAD answer carries the
    /// length of the body it omits (RFC 9110 §9.3.2, §8.6).
    public func encode(
        _ response: HTTPResponse, method: String = "GET", version: HTTPVersion = .http1_1, keepAlive: Bool,
        into out: inout [UInt8]
    ) {
        let status = response.status
        // Status line, Server, Date, Content-Length and two or three handler headers: about 200 bytes.
        out.reserveCapacity(out.count + 256 + response.body.count)
        append("HTTP/1.1 ", to: &out)
        appendStatusCode(status.code, to: &out)
        out.append(ASCII.space)
        append(status.reasonPhrase, to: &out)
        append("\r\nServer: passcode\r\nDate: ", to: &out)
        append(dateCache.headerValue, to: &out)
        append("\r\n", to: &out)
        for field in response.headers where Self.isSendable(field) {
            append(field.name, to: &out)
            append(": ", to: &out)
            appendValue(field.value, to: &out)
            append("\r\n", to: &out)
        }
        if !status.forbidsBody {
            append("Content-Length: ", to: &out)
            append(String(response.body.count), to: &out)
            append("\r\n", to: &out)
        }
        if !keepAlive {
            append("Connection: close\r\n", to: &out)
        } else if version == .http1_0 {
            append("Connection: keep-alive\r\n", to: &out)
        }
        append("\r\n", to: &out)
        if !status.forbidsBody && method != "HEAD" {
            out.append(contentsOf: response.body)
        }
    }

    public func encode(
        _ response: HTTPResponse, method: String = "GET", version: HTTPVersion = .http1_1, keepAlive: Bool
    ) -> [UInt8] {
        var out: [UInt8] = []
        encode(response, method: method, version: version, keepAlive: keepAlive, into: &out)
        return out
    }

    /// `100 Continue` (RFC 9110 §15.2.1), sent before reading a body the client is holding back.
    static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private static func isSendable(_ field: HTTPField) -> Bool {
        var name = field.name
        return !name.isEmpty && name.withUTF8 { !$0.contains { !ASCII.isToken($0) } }
            && !ownedFields.contains { ASCII.equalsIgnoringCase($0, field.name) }
    }

    /// A three-digit code as its digits, without making a string (the common case on every
    /// response); anything else as `String` spells it.
    private func appendStatusCode(_ code: Int, to out: inout [UInt8]) {
        guard (100...999).contains(code) else { return append(String(code), to: &out) }
        out.append(UInt8(truncatingIfNeeded: 48 + code / 100))
        out.append(UInt8(truncatingIfNeeded: 48 + code / 10 % 10))
        out.append(UInt8(truncatingIfNeeded: 48 + code % 10))
    }

    /// Through `withUTF8`: one contiguous copy instead of the generic `UTF8View` path.
    @inline(__always) private func append(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    /// A value with a CR or LF would split the response (RFC 9110 §5.5); control bytes become spaces.
    /// Scanned as one contiguous buffer: every response writes a few of these.
    private func appendValue(_ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { bytes in
            if !bytes.contains(where: { !ASCII.isFieldValueByte($0) }) {
                out.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                out.append(ASCII.isFieldValueByte(byte) ? byte : ASCII.space)
            }
        }
    }
}
