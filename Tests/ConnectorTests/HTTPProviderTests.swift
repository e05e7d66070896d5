import Contracts
import Foundation
import LogCore
import Testing
@testable import ConnectorService

extension LiveServers {
    @Suite("HTTP providers against a local server")
    struct HTTPProviderTests {
        @Test func webhookPostsLogtoShapedJSONWithAuthorization() async throws {
            try await Harness.withHTTPServer { base, requests in
                let core = try Harness.core([
                    "PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": base + "/hooks/email",
                    "PASSCODE_HTTP_AUTHORIZATION": "Bearer hook-secret",
                ])
                let result = try await core.deliver(Harness.params(.email, type: .register, locale: "fr", ip: "203.0.113.9"))
                #expect(result.provider == "http")
                #expect(result.messageId == "SMfixture1")
                let sent = try #require(requests().first)
                #expect(requests().count == 1)
                #expect(sent.method == "POST")
                #expect(sent.path == "/hooks/email")
                #expect(sent.headers["authorization"] == "Bearer hook-secret")
                #expect(sent.headers["content-type"] == "application/json")
                let json = try #require(sent.json)
                #expect(json["to"] as? String == "alice@example.com")
                #expect(json["type"] as? String == "Register")
                #expect(json["ip"] as? String == "203.0.113.9")
                let payload = try #require(json["payload"] as? [String: Any])
                #expect(payload["code"] as? String == "482913")
                #expect(payload["locale"] as? String == "fr")
            }
        }

        @Test func smsWebhookOmitsAbsentLocaleAndIP() async throws {
            try await Harness.withHTTPServer { base, requests in
                let core = try Harness.core(["PASSCODE_SMS_PROVIDER": "http", "PASSCODE_SMS_HTTP_URL": base + "/sms"])
                _ = try await core.deliver(Harness.params(.sms, type: .generic))
                let sent = try #require(requests().first)
                #expect(sent.headers["authorization"] == nil)
                let json = try #require(sent.json)
                #expect(json["to"] as? String == "14155550100")
                #expect(json["ip"] == nil)
                #expect((json["payload"] as? [String: Any])?["locale"] == nil)
            }
        }

        @Test func twilioPostsFormWithBasicAuth() async throws {
            try await Harness.withHTTPServer(script: "201") { base, requests in
                let core = try Harness.core([
                    "PASSCODE_SMS_PROVIDER": "twilio", "PASSCODE_TWILIO_URL": base, "PASSCODE_TWILIO_ACCOUNT_SID": "AC123",
                    "PASSCODE_TWILIO_AUTH_TOKEN": "tok", "PASSCODE_TWILIO_FROM": "+15005550006",
                ])
                let result = try await core.deliver(Harness.params(.sms, type: .signIn))
                #expect(result == Connector.Deliver.Result(messageId: "SMfixture1", provider: "twilio"))
                let sent = try #require(requests().first)
                #expect(sent.method == "POST")
                #expect(sent.path == "/2010-04-01/Accounts/AC123/Messages.json")
                #expect(sent.headers["authorization"] == "Basic " + Data("AC123:tok".utf8).base64EncodedString())
                #expect(sent.headers["content-type"] == "application/x-www-form-urlencoded")
                #expect(sent.body.contains("To=%2B14155550100"))
                let form = sent.form
                #expect(form["To"] == "+14155550100")
                #expect(form["From"] == "+15005550006")
                #expect(form["MessagingServiceSid"] == nil)
                #expect(form["Body"]?.contains("482913") == true)
            }
        }

        @Test func twilioPrefersMessagingServiceSid() async throws {
            try await Harness.withHTTPServer(script: "201") { base, requests in
                let core = try Harness.core([
                    "PASSCODE_SMS_PROVIDER": "twilio", "PASSCODE_TWILIO_URL": base + "/", "PASSCODE_TWILIO_ACCOUNT_SID": "AC9",
                    "PASSCODE_TWILIO_AUTH_TOKEN": "tok", "PASSCODE_TWILIO_MESSAGING_SERVICE_SID": "MG42",
                ])
                _ = try await core.deliver(Harness.params(.sms))
                let sent = try #require(requests().first)
                #expect(sent.path == "/2010-04-01/Accounts/AC9/Messages.json")
                #expect(sent.form["MessagingServiceSid"] == "MG42")
                #expect(sent.form["From"] == nil)
            }
        }

        @Test func sendGridPostsMailSendWithBearerKey() async throws {
            try await Harness.withHTTPServer(script: "202") { base, requests in
                let core = try Harness.core([
                    "PASSCODE_EMAIL_PROVIDER": "sendgrid", "PASSCODE_SENDGRID_URL": base, "PASSCODE_SENDGRID_API_KEY": "SG.key",
                    "PASSCODE_EMAIL_FROM": "Acme Login <login@acme.test>",
                ])
                let result = try await core.deliver(Harness.params(.email, type: .forgotPassword))
                #expect(result == Connector.Deliver.Result(messageId: "fixture-1", provider: "sendgrid"))
                let sent = try #require(requests().first)
                #expect(sent.path == "/v3/mail/send")
                #expect(sent.headers["authorization"] == "Bearer SG.key")
                #expect(sent.headers["content-type"] == "application/json")
                let json = try #require(sent.json)
                let personalizations = try #require(json["personalizations"] as? [[String: Any]])
                #expect((personalizations.first?["to"] as? [[String: Any]])?.first?["email"] as? String == "alice@example.com")
                let from = try #require(json["from"] as? [String: Any])
                #expect(from["email"] as? String == "login@acme.test")
                #expect(from["name"] as? String == "Acme Login")
                #expect(json["subject"] as? String == "Your password reset code")
                let content = try #require(json["content"] as? [[String: Any]])
                #expect(content.map { $0["type"] as? String } == ["text/plain", "text/html"])
                #expect(content.allSatisfy { ($0["value"] as? String)?.contains("482913") == true })
            }
        }

        @Test func retriesAfter503UntilSuccess() async throws {
            try await Harness.withHTTPServer(script: "503,503,200") { base, requests in
                let core = try Harness.core(["PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": base + "/h"])
                let result = try await core.deliver(Harness.params())
                #expect(result.messageId == "SMfixture3")
                #expect(requests().count == 3)
            }
        }

        @Test func doesNotRetry400AndReportsConnectorGeneralWithoutTheCode() async throws {
            try await Harness.withHTTPServer(script: "400") { base, requests in
                let core = try Harness.core(["PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": base + "/h"])
                let error = try #require(await Harness.failure(core, Harness.params(code: "400400")))
                #expect(error.code == "connector.general")
                #expect(error.status == 400)
                #expect(error.message.contains("400"))
                #expect(!error.message.contains("400400"))
                #expect(requests().count == 1)
            }
        }

        /// `Retry-After` as delay-seconds (`429:1`) and as an HTTP-date 2 s ahead (`429date:2`; RFC 9110
        /// §10.2.3, as some providers send it: whole seconds, so 1–2 s when read). Either way the
        /// delivery is retried once that time has passed.
        @Test(arguments: ["429:1,200", "429date:2,200"])
        func rateLimitIsRetriedAfterRetryAfter(_ script: String) async throws {
            try await Harness.withHTTPServer(script: script) { base, requests in
                let core = try Harness.core(["PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": base + "/h"])
                let started = ContinuousClock.now
                _ = try await core.deliver(Harness.params())
                #expect(ContinuousClock.now - started >= .seconds(1))
                #expect(requests().count == 2)
            }
        }

        /// A `Retry-After` of 30 s (delay-seconds, or an HTTP-date read 28–30 s ahead) exceeds the 10 s
        /// budget: relayed as `connector.rate_limit_exceeded` at once, without waiting out the budget.
        @Test(arguments: [("429:30", 30...30), ("429date:30", 28...30)])
        func rateLimitBeyondTheBudgetIsConnectorRateLimitExceeded(_ script: String, _ relayed: ClosedRange<Int>) async throws {
            try await Harness.withHTTPServer(script: script) { base, requests in
                let core = try Harness.core([
                    "PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": base + "/h", "PASSCODE_DELIVERY_TIMEOUT": "10",
                ])
                let started = ContinuousClock.now
                let error = try #require(await Harness.failure(core, Harness.params()))
                #expect(error.code == "connector.rate_limit_exceeded")
                #expect(error.status == 429)
                #expect(relayed.contains(error.retryAfter ?? 0))
                #expect(requests().count == 1)
                #expect(ContinuousClock.now - started < .seconds(8))
            }
        }

        @Test func hangingProviderFailsWithinTheBudget() async throws {
            try await Harness.withHTTPServer(script: "hang") { base, requests in
                let core = try Harness.core([
                    "PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": base + "/h", "PASSCODE_DELIVERY_TIMEOUT": "1",
                ])
                let started = ContinuousClock.now
                let error = try #require(await Harness.failure(core, Harness.params()))
                let elapsed = ContinuousClock.now - started
                #expect(error.code == "connector.general")
                // Far below the fixture's 120 s hang; slack for a loaded machine.
                #expect(elapsed < .seconds(8))
                #expect(error.message.contains("timed out"))
                #expect(!requests().isEmpty)
            }
        }

        @Test func unreachableProviderIsRetriedThenReported() async throws {
            // A port nobody listens on: bind one, note it, close it.
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: UInt32(0x7F00_0001).bigEndian),
                                      sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            close(fd)
            let port = Int(UInt16(bigEndian: address.sin_port))
            let core = try Harness.core([
                "PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": "http://127.0.0.1:\(port)/h", "PASSCODE_DELIVERY_TIMEOUT": "0.5",
            ])
            let error = try #require(await Harness.failure(core, Harness.params()))
            #expect(error.code == "connector.general")
        }

        @Test func sameIdempotencyKeySendsOnceAndReplaysTheResult() async throws {
            try await Harness.withHTTPServer { base, requests in
                let core = try Harness.core(["PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": base + "/h"])
                let first = try await core.deliver(Harness.params(key: "k-1"))
                let second = try await core.deliver(Harness.params(key: "k-1"))
                #expect(first == second)
                #expect(requests().count == 1)
                _ = try await core.deliver(Harness.params(key: "k-2"))
                #expect(requests().count == 2)
            }
        }

        @Test func concurrentDeliversWithOneKeySendOnce() async throws {
            try await Harness.withHTTPServer { base, requests in
                let core = try Harness.core(["PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": base + "/h"])
                let results = try await withThrowingTaskGroup(of: Connector.Deliver.Result.self) { group in
                    for _ in 0..<20 { group.addTask { try await core.deliver(Harness.params(key: "same")) } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(results.count == 20)
                #expect(Set(results.map(\.messageId)).count == 1)
                #expect(requests().count == 1)
            }
        }

        @Test func failedDeliveryIsNotRememberedByItsKey() async throws {
            try await Harness.withHTTPServer(script: "400,200") { base, requests in
                let core = try Harness.core(["PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": base + "/h"])
                #expect(await Harness.failure(core, Harness.params(key: "again")) != nil)
                _ = try await core.deliver(Harness.params(key: "again"))
                #expect(requests().count == 2)
            }
        }

        @Test func openCircuitSendsThroughTheFallbackProvider() async throws {
            try await Harness.withHTTPServer(script: "503") { base, requests in
                let dir = try TemporaryDirectory()
                defer { dir.remove() }
                let core = try Harness.core([
                    "PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": base + "/h", "PASSCODE_EMAIL_FALLBACK_PROVIDER": "outbox",
                    "PASSCODE_DATA_DIR": dir.path, "PASSCODE_DELIVERY_TIMEOUT": "0.3", "PASSCODE_BREAKER_THRESHOLD": "2",
                    "PASSCODE_BREAKER_COOLDOWN": "60",
                ])
                #expect(core.status().email == "http")
                for _ in 0..<2 {
                    #expect(await Harness.failure(core, Harness.params())?.code == "connector.general")
                }
                let result = try await core.deliver(Harness.params())
                #expect(result.provider == "outbox")
                let outbox = try String(contentsOfFile: dir.file("outbox.jsonl"), encoding: .utf8)
                #expect(outbox.split(separator: "\n").count == 1)
            }
        }

        @Test func openCircuitWithoutFallbackFailsFast() async throws {
            try await Harness.withHTTPServer(script: "503") { base, requests in
                let core = try Harness.core([
                    "PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": base + "/h", "PASSCODE_DELIVERY_TIMEOUT": "0.2",
                    "PASSCODE_BREAKER_THRESHOLD": "1", "PASSCODE_BREAKER_COOLDOWN": "60",
                ])
                let first = try #require(await Harness.failure(core, Harness.params()))
                #expect(first.message.contains("503") || first.message.contains("timed out"))
                let error = try #require(await Harness.failure(core, Harness.params()))
                #expect(error.code == "connector.general")
                #expect(error.message.contains("http is temporarily unavailable"))
            }
        }
    }
}
