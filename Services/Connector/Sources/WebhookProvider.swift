#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Logto's HTTP email/SMS connector shape: POST `{to, type, payload: {code, locale?}, ip?}` as JSON to the
/// operator's endpoint, with their `Authorization` header if any; any 2xx means delivered.
struct WebhookProvider: DeliveryProvider {
    let name = "http"
    var url: URL
    var authorization: String?
    var transport: HTTPTransport

    init(url: URL, authorization: String?, caFile: String? = nil) {
        self.url = url
        self.authorization = authorization
        self.transport = HTTPTransport(providerName: "http", caFile: caFile)
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
        guard let ids = try? JSONDecoder().decode(MessageIDs.self, from: Data(response.body)) else { return nil }
        return [ids.messageId, ids.id, ids.sid].lazy.compactMap { $0 }.first { !$0.isEmpty && $0.count <= 200 }
    }

    /// The id fields a provider may answer with; a field of another type (say a numeric `id`) is ignored.
    private struct MessageIDs: Decodable {
        var messageId: String?
        var id: String?
        var sid: String?

        enum CodingKeys: String, CodingKey { case messageId, id, sid }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            messageId = try? container.decodeIfPresent(String.self, forKey: .messageId)
            id = try? container.decodeIfPresent(String.self, forKey: .id)
            sid = try? container.decodeIfPresent(String.self, forKey: .sid)
        }
    }
}
