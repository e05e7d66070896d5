import Foundation

/// Logto's HTTP email/SMS connector shape: POST `{to, type, payload: {code, locale?}, ip?}` as JSON to the
/// operator's endpoint, with their `Authorization` header if any; any 2xx means delivered.
struct WebhookProvider: DeliveryProvider {
    let name = "http"
    var url: URL
    var authorization: String?
    var transport: HTTPTransport

    init(url: URL, authorization: String?) {
        self.url = url
        self.authorization = authorization
        self.transport = HTTPTransport(providerName: "http")
    }

    struct Body: Encodable {
        struct Payload: Encodable {
            var code: String
            var locale: String?
        }
        var to: String
        var type: String
        var payload: Payload
        var ip: String?
    }

    func send(_ message: RenderedMessage, deadline: ContinuousClock.Instant) async throws -> String {
        let body = Body(to: message.to, type: message.type.rawValue, payload: .init(code: message.code, locale: message.locale),
                        ip: message.clientIP)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(body)
        var headers = ["Content-Type": "application/json", "Accept": "application/json"]
        if let authorization { headers["Authorization"] = authorization }
        let response = try await transport.post(url, headers: headers, body: data, deadline: deadline)
        return Self.messageId(from: response) ?? MessageID.make()
    }

    /// A webhook may answer `{"messageId": …}` or `{"id": …}`; otherwise we name the message ourselves.
    static func messageId(from response: HTTPTransport.Response) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else { return nil }
        for key in ["messageId", "id", "sid"] {
            if let value = object[key] as? String, !value.isEmpty, value.count <= 200 { return value }
        }
        return nil
    }
}
