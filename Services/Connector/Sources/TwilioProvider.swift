#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Twilio's Messages API shape: a form POST to `{base}/2010-04-01/Accounts/{sid}/Messages.json` with
/// `To` (`+` and the digits), `From` or `MessagingServiceSid`, and `Body`; HTTP Basic `sid:token`.
struct TwilioProvider: DeliveryProvider {
    struct Settings: Sendable, Equatable {
        var baseURL: URL
        var accountSid: String
        var authToken: String
        var from: String?
        var messagingServiceSid: String?
    }

    let name = "twilio"
    var settings: Settings
    var transport = HTTPTransport(providerName: "twilio")

    var endpoint: URL {
        var base = settings.baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        // The sid was checked to be alphanumeric at start, so the URL is well formed.
        return URL(string: "\(base)/2010-04-01/Accounts/\(settings.accountSid)/Messages.json") ?? settings.baseURL
    }

    func send(_ message: RenderedMessage, deadline: ContinuousClock.Instant) async throws -> String {
        let digits = message.to.filter { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else { throw DeliveryFailure.permanent("twilio: the recipient is not a phone number") }
        var fields = [("To", "+" + digits)]
        if let service = settings.messagingServiceSid {
            fields.append(("MessagingServiceSid", service))
        } else if let from = settings.from {
            fields.append(("From", from))
        }
        fields.append(("Body", message.text))
        let credentials = Data("\(settings.accountSid):\(settings.authToken)".utf8).base64EncodedString()
        let headers = [
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "Authorization": "Basic \(credentials)",
        ]
        let response = try await transport.post(endpoint, headers: headers, body: Data(FormEncoding.encode(fields).utf8),
                                                deadline: deadline)
        return WebhookProvider.messageId(from: response) ?? MessageID.make()
    }
}
