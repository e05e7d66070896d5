/// A response as a handler builds it. Framing headers (`Content-Length`, `Transfer-Encoding`,
/// `Connection`, `Date`, `Server`) are the encoder's job: if set here they are ignored, except that a
/// `Connection: close` asks the connection to close after this response.
public struct HTTPResponse: Sendable, Hashable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response: `Content-Type: application/json` and the given UTF-8 bytes.
    public static func json(_ status: HTTPStatus = .ok, body: [UInt8], headers: HTTPHeaders = [:]) -> HTTPResponse {
        var all: HTTPHeaders = ["Content-Type": "application/json"]
        for field in headers { all.add(name: field.name, value: field.value) }
        return HTTPResponse(status: status, headers: all, body: body)
    }

    /// A JSON response from already-serialised JSON text.
    public static func json(_ status: HTTPStatus = .ok, text: String, headers: HTTPHeaders = [:]) -> HTTPResponse {
        json(status, body: Array(text.utf8), headers: headers)
    }

    /// `204 No Content`, the success answer of most Passcode routes.
    public static func noContent(headers: HTTPHeaders = [:]) -> HTTPResponse {
        HTTPResponse(status: .noContent, headers: headers)
    }

    /// The spec's error body `{"code","message"}` (API.md §1). `code` and `message` must be plain
    /// text without quotes or backslashes, as every catalogue entry is; anything else is escaped.
    public static func error(
        _ status: HTTPStatus, code: String, message: String, headers: HTTPHeaders = [:]
    ) -> HTTPResponse {
        json(status, text: #"{"code":"# + jsonString(code) + #","message":"# + jsonString(message) + "}", headers: headers)
    }

    /// Whether the handler asked to close the connection after this response.
    var requestsClose: Bool { headers.containsToken("close", in: "Connection") }

    private static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
