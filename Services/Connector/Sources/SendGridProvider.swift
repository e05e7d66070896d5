#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// SendGrid's v3 `mail/send` shape: POST `{base}/v3/mail/send` with a Bearer key and JSON
/// personalizations, from, subject and content (text/plain then text/html, as the API requires).
struct SendGridProvider: DeliveryProvider {
    struct Settings: Sendable, Equatable {
        var baseURL: URL
        var apiKey: String
    }

    let name = "sendgrid"
    var settings: Settings
    var from: MailAddress
    var transport = HTTPTransport(providerName: "sendgrid")

    var endpoint: URL {
        var base = settings.baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return URL(string: base + "/v3/mail/send") ?? settings.baseURL
    }

    struct Body: Encodable {
        struct Address: Encodable {
            var email: String
            var name: String?
        }
        struct Personalization: Encodable { var to: [Address] }
        struct Content: Encodable {
            var type: String
            var value: String
        }
        var personalizations: [Personalization]
        var from: Address
        var subject: String
        var content: [Content]
    }

    func send(_ message: RenderedMessage, deadline: ContinuousClock.Instant) async throws -> String {
        var content = [Body.Content(type: "text/plain", value: message.text)]
        if let html = message.html { content.append(.init(type: "text/html", value: html)) }
        let body = Body(personalizations: [.init(to: [.init(email: message.to)])], from: .init(email: from.address, name: from.name),
                        subject: message.subject ?? "", content: content)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let headers = [
            "Content-Type": "application/json",
            "Authorization": "Bearer \(settings.apiKey)",
        ]
        let response = try await transport.post(endpoint, headers: headers, body: try encoder.encode(body), deadline: deadline)
        if let id = response.header("X-Message-Id"), !id.isEmpty, id.count <= 200 { return id }
        return MessageID.make()
    }
}
