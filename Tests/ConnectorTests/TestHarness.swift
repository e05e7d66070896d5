import ConfigCore
import Contracts
import Foundation
import LogCore
@testable import ConnectorService

/// Builds connectors the way the executable will: from environment variables.
enum Harness {
    static func core(_ values: [String: String], sink: MemorySink = MemorySink()) throws -> ConnectorCore {
        let config = try ConnectorConfig.load(Environment(values))
        return try ConnectorCore(config: config, logger: Logger(service: "connector-test", level: .debug, sink: sink))
    }

    static func params(_ channel: Channel = .email, to: String? = nil, type: TemplateType = .signIn, code: String = "482913",
                       locale: String? = nil, ip: String? = nil, key: String = UUID().uuidString) -> Connector.Deliver.Params {
        Connector.Deliver.Params(channel: channel, to: to ?? (channel == .email ? "alice@example.com" : "14155550100"),
                                 templateType: type, payload: .init(code: code, locale: locale), clientIP: ip, idempotencyKey: key)
    }

    /// Runs `body` with an HTTP fixture following `script`; returns what `body` returned.
    /// With `tls` (a certificate and its key), the server speaks HTTPS and the base URL is `https://127.0.0.1:PORT`.
    static func withHTTPServer<T>(script: String = "200", tls: (cert: String, key: String)? = nil,
                                  _ body: (_ baseURL: String, _ requests: @escaping @Sendable () -> [RecordedRequest]) async throws -> T) async throws -> T {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = dir.file("requests.jsonl")
        var arguments = ["--log", log, "--script", script]
        if let tls { arguments += ["--cert", tls.cert, "--key", tls.key] }
        let server = try await FixtureProcess.start("http_server.py", arguments, stderrPath: dir.file("stderr"))
        defer { server.stop() }
        return try await body("\(tls == nil ? "http" : "https")://127.0.0.1:\(server.port)", { RecordedRequest.load(log) })
    }

    /// Expects `deliver` to fail and returns its `ServiceError`.
    static func failure(_ core: ConnectorCore, _ p: Connector.Deliver.Params) async -> ServiceError? {
        do {
            _ = try await core.deliver(p)
            return nil
        } catch {
            return error
        }
    }
}

struct RecordedRequest: Decodable, Sendable {
    var method: String
    var path: String
    var headers: [String: String]
    var body: String
    /// The client's port: equal for requests that came over one kept-alive connection.
    var connection: Int?

    static func load(_ path: String) -> [RecordedRequest] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(RecordedRequest.self, from: Data($0.utf8)) }
    }

    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }

    var form: [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if parts.count == 2 { out[parts[0]] = parts[1] }
        }
        return out
    }
}
