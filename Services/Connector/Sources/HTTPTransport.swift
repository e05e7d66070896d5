#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SyncCore

/// Outbound HTTP for the API providers: one POST per attempt through our own HTTP/1.1 client, its
/// outcome sorted into delivered, transient or permanent (RFC 9110 §15: 5xx and 408 may succeed later,
/// other 4xx will not; 429 is the provider's rate limit, RFC 6585 §4, with `Retry-After`, RFC 9110 §10.2.3).
/// Not URLSession: corelibs' URLSession rounded timeouts to whole seconds and queued past 6
/// connections per host, and FoundationNetworking (with libcurl) was most of the connector's memory.
struct HTTPTransport: Sendable {
    typealias Response = HTTPResponse

    /// Who is calling, for failure reasons (`twilio answered HTTP 400`).
    var providerName: String
    private let client: HTTPClient

    /// `caFile`: a PEM bundle to trust instead of the system CA store (`PASSCODE_HTTP_CA_FILE`).
    init(providerName: String, caFile: String? = nil) {
        self.providerName = providerName
        client = HTTPClient(label: providerName, caFile: caFile)
    }

    /// POSTs `body` and returns the response when it is 2xx; throws `DeliveryFailure` otherwise.
    func post(_ url: URL, headers: [String: String], body: Data, deadline: ContinuousClock.Instant) async throws -> Response {
        guard deadline - .now > .milliseconds(10) else { throw DeliveryFailure.transient("\(providerName): no time left for a request") }
        let endpoint = try HTTPEndpoint(url, label: providerName)
        let client = self.client
        let bytes = [UInt8](body)
        // Blocking socket I/O: on its own thread, bounded by the deadline at every step.
        let response = try await WorkerThread.run(name: "passcode-http") { () throws(DeliveryFailure) in
            try client.post(endpoint, headers: headers, body: bytes, deadline: deadline)
        }
        try classify(response)
        return response
    }

    func classify(_ response: Response) throws(DeliveryFailure) {
        let status = response.status
        switch status {
        case 200...299:
            return
        case 429:
            throw .rateLimited(retryAfter: Self.retryAfter(response.header("Retry-After")))
        case 408, 500...599:
            throw .transient("\(providerName) answered HTTP \(status)", retryAfter: Self.retryAfter(response.header("Retry-After")))
        default:
            throw .permanent("\(providerName) answered HTTP \(status)")
        }
    }

    /// `Retry-After` (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date counted from `now` (a date
    /// already past means at once). At most a day; anything else is "unknown".
    static func retryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value else { return nil }
        var text = value[...]
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            // Digits past Int's range are a very long wait, not "unknown".
            return .seconds(Int(text).map { min($0, 86_400) } ?? 86_400)
        }
        guard let date = Timestamp.httpDate(text, now: now) else { return nil }
        let seconds = date.timeIntervalSince(now).rounded(.up)
        return .seconds(Int(min(max(seconds, 0), 86_400)))
    }
}
