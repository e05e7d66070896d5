import Contracts
import Foundation
import Testing
@testable import ConnectorService

/// The connector's own HTTP/1.1 client against real servers: HTTPS through `ssl`, chunked bodies,
/// keep-alive, servers that hang or answer nonsense.
extension LiveServers {
    @Suite("HTTP client against a local server")
    struct HTTPClientTests {
        /// A self-signed certificate for 127.0.0.1 and localhost, made off the cooperative pool.
        static func certificate(in dir: TemporaryDirectory) async throws -> (cert: String, key: String) {
            let made: Result<(cert: String, key: String), any Error> = await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: Result { try SMTPFixture.makeCertificate(in: dir) }) }
            }
            return try made.get()
        }

        static func post(_ url: String, transport: HTTPTransport = HTTPTransport(providerName: "test"),
                         budget: Duration = .seconds(5)) async -> Result<HTTPTransport.Response, DeliveryFailure> {
            do {
                let response = try await transport.post(URL(string: url)!, headers: ["Content-Type": "application/json"],
                                                        body: Data("{}".utf8), deadline: .now + budget)
                return .success(response)
            } catch let failure as DeliveryFailure {
                return .failure(failure)
            } catch {
                return .failure(.permanent("unexpected \(error)"))
            }
        }

        @Test func httpsServerIsTrustedThroughTheCAFileAndReachedByName() async throws {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let tls = try await Self.certificate(in: dir)
            try await Harness.withHTTPServer(tls: tls) { base, requests in
                // `localhost`: name resolution, SNI and host name verification against the DNS name.
                let url = base.replacingOccurrences(of: "127.0.0.1", with: "localhost") + "/hooks/email"
                let core = try Harness.core([
                    "PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": url, "PASSCODE_HTTP_CA_FILE": tls.cert,
                ])
                let result = try await core.deliver(Harness.params())
                #expect(result.messageId == "SMfixture1")
                let sent = try #require(requests().first)
                #expect(sent.path == "/hooks/email")
                #expect(sent.headers["host"] == url.dropFirst("https://".count).prefix { $0 != "/" }.description)
                #expect(sent.headers["user-agent"] == "passcode-connector")
                #expect(sent.json?["to"] as? String == "alice@example.com")
            }
        }

        @Test func httpsServerWithAnUntrustedCertificateIsRefusedPermanently() async throws {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let tls = try await Self.certificate(in: dir)
            try await Harness.withHTTPServer(tls: tls) { base, requests in
                let result = await Self.post(base + "/h")
                guard case .failure(let failure) = result else {
                    Issue.record("a self-signed certificate was accepted without the CA file")
                    return
                }
                #expect(!failure.isRetryable)
                #expect(failure.reason.contains("certificate"))
                #expect(requests().isEmpty)
            }
        }

        @Test func chunkedResponseBodyIsDecoded() async throws {
            try await Harness.withHTTPServer(script: "chunked") { base, _ in
                let response = try await Self.post(base + "/h").get()
                #expect(response.status == 200)
                #expect(String(decoding: response.body, as: UTF8.self) == #"{"sid": "SMchunked1"}"#)
                #expect(WebhookProvider.messageId(from: response) == "SMchunked1")
            }
        }

        @Test func twoSendsShareOneKeptAliveConnection() async throws {
            try await Harness.withHTTPServer { base, requests in
                let core = try Harness.core(["PASSCODE_SMS_PROVIDER": "http", "PASSCODE_SMS_HTTP_URL": base + "/sms"])
                _ = try await core.deliver(Harness.params(.sms))
                _ = try await core.deliver(Harness.params(.sms))
                let seen = requests()
                #expect(seen.count == 2)
                #expect(seen.allSatisfy { $0.headers["connection"] == "keep-alive" })
                #expect(Set(seen.compactMap(\.connection)).count == 1)
            }
        }

        @Test func keptAliveConnectionClosedBeforeAnsweringIsRetriedOnceOnANewOne() async throws {
            // 1st request answered; the 2nd, on the reused connection, is dropped unanswered; its
            // re-send on a new connection is answered.
            try await Harness.withHTTPServer(script: "200,close,200") { base, requests in
                let transport = HTTPTransport(providerName: "test")
                _ = try await Self.post(base + "/h", transport: transport).get()
                let second = try await Self.post(base + "/h", transport: transport).get()
                #expect(second.status == 200)
                let seen = requests()
                #expect(seen.count == 3)
                if seen.count == 3 {
                    #expect(seen[0].connection == seen[1].connection)
                    #expect(seen[2].connection != seen[1].connection)
                }
            }
        }

        @Test func newConnectionClosedBeforeAnsweringIsNotResentByTheClient() async throws {
            try await Harness.withHTTPServer(script: "close,200") { base, requests in
                let result = await Self.post(base + "/h")
                guard case .failure(let failure) = result else {
                    Issue.record("an unanswered request on a new connection was re-sent")
                    return
                }
                #expect(failure.isRetryable)
                #expect(requests().count == 1)
            }
        }

        @Test func serverHangingMidResponseIsCutAtTheDeadline() async throws {
            try await Harness.withHTTPServer(script: "partial") { base, requests in
                let started = ContinuousClock.now
                let result = await Self.post(base + "/h", budget: .milliseconds(350))
                let elapsed = ContinuousClock.now - started
                guard case .failure(let failure) = result else {
                    Issue.record("a half-sent response was accepted")
                    return
                }
                #expect(failure.isRetryable)
                #expect(failure.reason.contains("timed out"))
                // Not rounded to whole seconds either way: at the 350 ms deadline, with slack for a busy machine.
                #expect(elapsed >= .milliseconds(340))
                #expect(elapsed < .milliseconds(950))
                #expect(requests().count == 1)
            }
        }

        @Test(arguments: ["garbage", "oversize", "manyheaders"])
        func unusableResponseIsATransientFailure(script: String) async throws {
            try await Harness.withHTTPServer(script: script) { base, _ in
                let result = await Self.post(base + "/h")
                guard case .failure(let failure) = result else {
                    Issue.record("\(script) was accepted as a response")
                    return
                }
                guard case .transient(let reason, _) = failure else {
                    Issue.record("\(script) gave \(failure), not a transient failure")
                    return
                }
                #expect(reason.hasPrefix("test: the server sent"))
            }
        }

        @Test func rateLimitCarriesRetryAfter() async throws {
            try await Harness.withHTTPServer(script: "429:7") { base, _ in
                let result = await Self.post(base + "/h")
                #expect(throws: DeliveryFailure.rateLimited(retryAfter: .seconds(7))) { try result.get() }
            }
        }
    }
}
