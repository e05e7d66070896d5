/// An error that crosses a process boundary: the spec's catalogue entry (code, HTTP status, English
/// message), optionally with structured `data` and a free-text `details` line. The gateway forwards
/// these unchanged as `{"code","message","data"?,"details"?}` with `status`.
public struct ServiceError: Error, Codable, Sendable, Equatable {
    public var code: String
    public var message: String
    public var status: Int
    public var data: [String: JSONValue]?
    public var details: String?

    public init(code: String, message: String, status: Int, data: [String: JSONValue]? = nil, details: String? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.data = data
        self.details = details
    }

    /// Seconds a client should wait, carried in `data.retryAfter` (→ `Retry-After`).
    public var retryAfter: Int? {
        if case .number(let n)? = data?["retryAfter"] { return Int(n.rounded(.up)) }
        return nil
    }

    public func with(details: String) -> ServiceError {
        var copy = self
        copy.details = details
        return copy
    }

    public func with(retryAfter seconds: Int) -> ServiceError {
        var copy = self
        var d = copy.data ?? [:]
        d["retryAfter"] = .number(Double(max(1, seconds)))
        copy.data = d
        return copy
    }
}

/// The catalogue (API.md §6). One place; every process builds its errors from here.
extension ServiceError {
    public static func invalidInput(_ details: String? = nil) -> ServiceError {
        ServiceError(code: "guard.invalid_input", message: "The request body is invalid.", status: 400, details: details)
    }
    public static let codeNotFound = ServiceError(
        code: "verification_code.not_found", message: "Verification code not found. Please send verification code first.", status: 400)
    public static let emailMismatch = ServiceError(
        code: "verification_code.email_mismatch", message: "Email mismatch. Please request a new verification code.", status: 400)
    public static let phoneMismatch = ServiceError(
        code: "verification_code.phone_mismatch", message: "Phone mismatch. Please request a new verification code.", status: 400)
    public static let codeMismatch = ServiceError(
        code: "verification_code.code_mismatch", message: "Invalid verification code.", status: 400)
    public static let codeExpired = ServiceError(
        code: "verification_code.expired", message: "Verification code has expired. Please request a new verification code.", status: 400)
    public static let exceedMaxTry = ServiceError(
        code: "verification_code.exceed_max_try",
        message: "Verification code retries limitation exceeded. Please request a new verification code.", status: 400)
    public static let sessionNotFound = ServiceError(
        code: "session.not_found", message: "Session not found. Please go back and sign in again.", status: 400)
    public static let verificationSessionNotFound = ServiceError(
        code: "session.verification_session_not_found",
        message: "The verification was not successful. Restart the verification flow and try again.", status: 404)
    public static let verificationBlocked = ServiceError(
        code: "session.verification_blocked_too_many_attempts", message: "Too many attempts in a short time. Please try again later.",
        status: 400)
    public static let authorizationHeaderMissing = ServiceError(
        code: "auth.authorization_header_missing", message: "Authorization header is missing.", status: 401)
    public static let unauthorized = ServiceError(
        code: "auth.unauthorized", message: "Unauthorized. Please check credentials and its scope.", status: 401)
    public static let forbidden = ServiceError(
        code: "auth.forbidden", message: "Forbidden. Please check your user roles and permissions.", status: 403)
    public static func messageRateLimited(retryAfter: Int) -> ServiceError {
        ServiceError(code: "request.message_rate_limited", message: "Too many messages sent to this recipient. Please try again later.",
                     status: 429).with(retryAfter: retryAfter)
    }
    public static func rateLimited(retryAfter: Int) -> ServiceError {
        ServiceError(code: "request.rate_limited", message: "Too many requests. Please try again later.", status: 429)
            .with(retryAfter: retryAfter)
    }
    public static func connectorNotFound(_ channel: Channel) -> ServiceError {
        ServiceError(code: "connector.not_found",
                     message: "Cannot find any available connector for type: \(channel == .email ? "Email" : "Sms").", status: 501)
    }
    public static func connectorGeneral(_ description: String) -> ServiceError {
        ServiceError(code: "connector.general", message: "Error occurred in connector: \(description)", status: 400)
    }
    public static func connectorRateLimitExceeded(retryAfter: Int? = nil) -> ServiceError {
        let e = ServiceError(code: "connector.rate_limit_exceeded", message: "The connector's provider rate limit was exceeded.", status: 429)
        return retryAfter.map { e.with(retryAfter: $0) } ?? e
    }
    public static func templateNotFound(_ type: String) -> ServiceError {
        ServiceError(code: "connector.template_not_found", message: "Template not found for type: \(type).", status: 500)
    }
    public static let payloadTooLarge = ServiceError(
        code: "request.payload_too_large", message: "The request body is too large.", status: 413)
    public static let headerTooLarge = ServiceError(
        code: "request.header_too_large", message: "The request headers are too large.", status: 431)
    public static let uriTooLong = ServiceError(
        code: "request.header_too_large", message: "The request line is too long.", status: 414)
    public static func malformed(_ details: String? = nil) -> ServiceError {
        ServiceError(code: "request.malformed", message: "The request is malformed.", status: 400, details: details)
    }
    public static let notImplemented = ServiceError(
        code: "request.not_implemented", message: "The request uses a feature this server does not implement.", status: 501)
    public static let httpVersion = ServiceError(
        code: "request.http_version", message: "The HTTP version is not supported.", status: 505)
    public static let routeNotFound = ServiceError(
        code: "request.not_found", message: "The requested route does not exist.", status: 404)
    public static let methodNotAllowed = ServiceError(
        code: "request.method_not_allowed", message: "The method is not allowed on this route.", status: 405)
    public static func unavailable(retryAfter: Int = 1, details: String? = nil) -> ServiceError {
        ServiceError(code: "service.unavailable", message: "A backend service is unavailable. Please try again later.", status: 503,
                     details: details).with(retryAfter: retryAfter)
    }
    /// For faults that are ours, not the caller's. Never carries internals.
    public static let internalError = ServiceError(
        code: "service.internal", message: "An internal error occurred. Please try again later.", status: 500)
}
