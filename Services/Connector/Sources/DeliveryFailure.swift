/// Why one attempt at a provider failed, and so whether trying again can help. Reasons are written by
/// us from status codes and protocol steps, never from the message, so they never contain the code.
enum DeliveryFailure: Error, Sendable, Equatable {
    /// Connect errors, timeouts, HTTP 5xx, SMTP 4xx: worth retrying, after `retryAfter` if the provider said.
    case transient(String, retryAfter: Duration? = nil)
    /// HTTP 4xx, SMTP 5xx, TLS verification: the same request will fail again.
    case permanent(String)
    /// HTTP 429: retried only when the provider's `Retry-After` fits the budget.
    case rateLimited(retryAfter: Duration?)

    var reason: String {
        switch self {
        case .transient(let r, _): r
        case .permanent(let r): r
        case .rateLimited: "the provider's rate limit was exceeded"
        }
    }

    var isRetryable: Bool {
        if case .permanent = self { return false }
        return true
    }

    var retryAfter: Duration? {
        switch self {
        case .transient(_, let d): d
        case .rateLimited(let d): d
        case .permanent: nil
        }
    }
}
