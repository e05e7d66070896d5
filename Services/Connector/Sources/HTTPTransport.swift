import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Outbound HTTP for the API providers: one POST per attempt, its outcome sorted into delivered,
/// transient or permanent (RFC 9110 §15: 5xx and 408 may succeed later, other 4xx will not; 429 is
/// the provider's rate limit, RFC 6585 §4, with `Retry-After`, RFC 9110 §10.2.3).
struct HTTPTransport: Sendable {
    struct Response: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data

        func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    /// Who is calling, for failure reasons (`twilio answered HTTP 400`).
    var providerName: String
    private let session: URLSession

    init(providerName: String) {
        self.providerName = providerName
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.timeoutIntervalForRequest = 30
        configuration.timeoutIntervalForResource = 60
        // The default (6 per host) queued the 7th concurrent delivery behind the others, where it
        // spent its budget waiting for a healthy but slow provider.
        configuration.httpMaximumConnectionsPerHost = 64
        session = URLSession(configuration: configuration)
    }

    /// POSTs `body` and returns the response when it is 2xx; throws `DeliveryFailure` otherwise.
    func post(_ url: URL, headers: [String: String], body: Data, deadline: ContinuousClock.Instant) async throws -> Response {
        let remaining = (deadline - .now).inSeconds
        guard remaining > 0.01 else { throw DeliveryFailure.transient("\(providerName): no time left for a request") }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        // swift-corelibs-foundation arms its timer with whole seconds (`Int(timeoutInterval) * 1000`):
        // 1.9 s became 1 s and anything under 1 s fired at once, cutting a provider short and
        // retrying into a duplicate message. `withDeadline` enforces the budget; this is a backstop.
        request.timeoutInterval = remaining.rounded(.up) + 1
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let prepared = request
        let data: Data
        let urlResponse: URLResponse
        do {
            (data, urlResponse) = try await withDeadline(deadline) { [session] in try await session.data(for: prepared) }
        } catch let failure as DeliveryFailure {
            throw failure
        } catch let error as URLError {
            throw DeliveryFailure.transient("\(providerName): \(Self.describe(error))")
        } catch {
            throw DeliveryFailure.transient("\(providerName): request failed")
        }
        guard let http = urlResponse as? HTTPURLResponse else {
            throw DeliveryFailure.transient("\(providerName): not an HTTP response")
        }
        var headerFields: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let k = key as? String, let v = value as? String { headerFields[k] = v }
        }
        let response = Response(status: http.statusCode, headers: headerFields, body: data)
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

    /// `Retry-After` in delay-seconds (RFC 9110 §10.2.3); an HTTP-date is read as "unknown".
    static func retryAfter(_ value: String?) -> Duration? {
        guard let value, let seconds = Int(value.trimmingCharacters(in: .whitespaces)), seconds >= 0 else { return nil }
        return .seconds(min(seconds, 86_400))
    }

    static func describe(_ error: URLError) -> String {
        switch error.code {
        case .timedOut: "timed out"
        case .cannotConnectToHost, .networkConnectionLost, .notConnectedToInternet: "cannot connect"
        case .cannotFindHost, .dnsLookupFailed: "cannot resolve host"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
             .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            "TLS failed"
        default: "request failed (\(error.code.rawValue))"
        }
    }
}

/// Runs `operation`, abandoning it with a transient failure when `deadline` passes first (URLSession's
/// own timeout is an idle timeout, not a total one).
func withDeadline<T: Sendable>(_ deadline: ContinuousClock.Instant,
                               _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(until: deadline, clock: .continuous)
            throw DeliveryFailure.transient("timed out")
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw DeliveryFailure.transient("timed out") }
        return first
    }
}
