/// Why a request was refused before it reached a handler. Every case ends the connection: after a
/// framing error the next message boundary is unknown (RFC 9112 §6.3, §11.2), so the connection
/// answers with `response` and closes. `code` and `message` match API.md §6.
public enum HTTPParserError: Error, Sendable, Hashable {
    /// 400 `request.malformed`.
    case malformed(Malformation)
    /// 414: the request-line is longer than `HTTPLimits.maxRequestLineBytes`.
    case requestLineTooLong
    /// 431: the header (plus trailer) section is over `maxHeaderBytes` or `maxHeaderCount`.
    case headerTooLarge
    /// 413: the declared or decoded body is over `maxBodyBytes`.
    case payloadTooLarge
    /// 501: a transfer coding other than `chunked` (RFC 9112 §6.1).
    case unsupportedTransferCoding
    /// 505: an HTTP version other than 1.0 or 1.1.
    case unsupportedVersion
    /// 408: the request was not fully received before the header deadline (slowloris).
    case requestTimeout

    /// The exact shape that made a request malformed; for tests and logs, never sent to the client.
    public enum Malformation: Sendable, Hashable {
        case bareLineFeed
        case bareCarriageReturn
        case requestLine
        case method
        case target
        case version
        case obsFold
        case whitespaceBeforeColon
        case fieldName
        case fieldValue
        case missingHost
        case multipleHosts
        case contentLengthWithTransferEncoding
        case contentLength
        case transferEncoding
        case transferEncodingInHTTP10
        case chunkSize
        case chunkExtension
        case chunkLineTooLong
        case chunkDataTerminator
    }

    public var status: HTTPStatus {
        switch self {
        case .malformed: .badRequest
        case .requestLineTooLong: .uriTooLong
        case .headerTooLarge: .requestHeaderFieldsTooLarge
        case .payloadTooLarge: .contentTooLarge
        case .unsupportedTransferCoding: .notImplemented
        case .unsupportedVersion: .httpVersionNotSupported
        case .requestTimeout: .requestTimeout
        }
    }

    public var code: String {
        switch self {
        case .malformed: "request.malformed"
        case .requestLineTooLong, .headerTooLarge: "request.header_too_large"
        case .payloadTooLarge: "request.payload_too_large"
        case .unsupportedTransferCoding: "request.not_implemented"
        case .unsupportedVersion: "request.http_version"
        case .requestTimeout: "request.timeout"
        }
    }

    public var message: String {
        switch self {
        case .malformed: "The request is malformed."
        case .requestLineTooLong: "The request line is too long."
        case .headerTooLarge: "The request headers are too large."
        case .payloadTooLarge: "The request body is too large."
        case .unsupportedTransferCoding: "The request uses a feature this server does not implement."
        case .unsupportedVersion: "The HTTP version is not supported."
        case .requestTimeout: "The request was not received in time."
        }
    }

    /// The error response; the connection adds `Connection: close`.
    public var response: HTTPResponse {
        .error(status, code: code, message: message)
    }
}
