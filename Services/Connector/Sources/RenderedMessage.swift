import Contracts

/// A message ready for a provider: the recipient, what it is for, and its rendered bodies. It holds the
/// code (some providers, like the Logto webhook, send the code rather than the text), so it is never logged.
struct RenderedMessage: Sendable {
    var channel: Channel
    var to: String
    var type: TemplateType
    var code: String
    var locale: String?
    var clientIP: String?
    var subject: String?
    var text: String
    var html: String?
}
