import Contracts

/// The delivery providers an operator can pick per channel (API.md §7).
enum ProviderKind: String, Sendable, CaseIterable {
    case outbox
    case smtp
    case http
    case sendgrid
    case twilio

    /// The providers that can carry each channel.
    static func allowed(for channel: Channel) -> [ProviderKind] {
        switch channel {
        case .email: [.outbox, .smtp, .http, .sendgrid]
        case .sms: [.outbox, .twilio, .http]
        }
    }
}
