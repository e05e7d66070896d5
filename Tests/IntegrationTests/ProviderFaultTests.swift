import Foundation
import TestSupport
import Testing

/// A provider that fails, hangs or is slow (a local HTTP server the test controls, as the email
/// provider) while SMS goes to the outbox: email sends fail cleanly within the delivery budget, the
/// circuit breaker opens and closes, SMS is untouched (docs/RELIABILITY.md "Provider faults").
@Suite(.serialized, .heavy) struct ProviderFaultTests {
    /// A 2 s delivery budget, and a breaker that opens after 3 failed deliveries for 1 s.
    static let environment = [
        "PASSCODE_DELIVERY_TIMEOUT": "2", "PASSCODE_BREAKER_THRESHOLD": "3", "PASSCODE_BREAKER_COOLDOWN": "1",
        "PASSCODE_LOG_LEVEL": "info",
    ]

    static func start(_ action: String) async throws -> (ProviderFixture, PasscodeProcess) {
        let provider = try await LoadRun.offPool { try ProviderFixture.start() }
        provider.setAction(action)
        do {
            let p = try await PasscodeProcess.launch(environment: environment.merging(provider.emailEnvironment) { _, new in new })
            return (provider, p)
        } catch {
            provider.stop()
            throw error
        }
    }

    /// One blocking request off the cooperative pool, and how long it took.
    static func timed(_ body: @escaping @Sendable () throws -> HTTPTestResponse) async throws -> (HTTPTestResponse, Double) {
        try await LoadRun.offPool {
            let started = Date()
            let r = try body()
            return (r, Date().timeIntervalSince(started))
        }
    }

    @Test func failingProviderFailsTheSendWithinTheBudgetAndSMSKeepsWorking() async throws {
        let (provider, p) = try await Self.start("503")
        defer { p.stop(); provider.stop() }
        let client = PasscodeClient(p)
        let email = uniqueEmail("failing")
        let (r, seconds) = try await Self.timed { try client.send(email: email) }
        #expect(r.status == 400)
        #expect(r.code == "connector.general")
        #expect(seconds < 6, "a failing provider took \(seconds) s")
        #expect(provider.requestCount >= 1)
        // The record stays (API.md §2.1): a verify says code_mismatch, not not_found.
        #expect(try await Self.timed { try client.verify(email: email, code: "123456") }.0.code == "verification_code.code_mismatch")

        let phone = uniquePhone()
        #expect(try await Self.timed { try client.send(phone: phone) }.0.status == 204)
        let code = try #require(p.code(for: phone))
        #expect(try await Self.timed { try client.verify(phone: phone, code: code) }.0.status == 204)
    }

    @Test func hangingProviderFailsTheSendWithinTheBudgetWhileSMSIsAnsweredAtOnce() async throws {
        let (provider, p) = try await Self.start("hang")
        defer { p.stop(); provider.stop() }
        let client = PasscodeClient(p)
        async let hanging = Self.timed { try client.send(email: uniqueEmail("hang")) }
        try await waitUntil("the provider holds the email", timeout: .seconds(20), every: .milliseconds(10)) { provider.requestCount >= 1 }

        let (sms, smsSeconds) = try await Self.timed { try client.send(phone: uniquePhone()) }
        #expect(sms.status == 204)
        #expect(smsSeconds < 1.5, "SMS waited \(smsSeconds) s behind a hanging email provider")

        let (email, seconds) = try await hanging
        #expect(email.status == 400)
        #expect(email.code == "connector.general")
        #expect(seconds >= 1.5 && seconds < 6, "a hanging provider answered after \(seconds) s; the budget is 2 s")
    }

    @Test func slowProviderWithinTheBudgetStillDelivers() async throws {
        let (provider, p) = try await Self.start("sleep:0.5")
        defer { p.stop(); provider.stop() }
        let client = PasscodeClient(p)
        let (r, seconds) = try await Self.timed { try client.send(email: uniqueEmail("slow")) }
        #expect(r.status == 204)
        #expect(seconds >= 0.5)
        #expect(provider.requestCount == 1, "a slow but successful delivery is not retried")
    }

    /// Regression: swift-corelibs-foundation arms URLSession's timer with whole seconds
    /// (`Int(timeoutInterval) * 1000`), so a 1.99 s remaining budget became a 1 s timeout and a
    /// provider answering after 1.3 s of a 2 s budget was cut short (and retried).
    @Test func slowProviderAnsweringLateInsideTheBudgetIsNotCutShort() async throws {
        let (provider, p) = try await Self.start("sleep:1.3")
        defer { p.stop(); provider.stop() }
        let client = PasscodeClient(p)
        let (r, _) = try await Self.timed { try client.send(email: uniqueEmail("late")) }
        #expect(r.status == 204, "\(r.status) \(r.text)")
        #expect(provider.requestCount == 1, "the provider was called \(provider.requestCount) times for one send")
    }

    /// Regression: URLSession's default of 6 connections per host queued the 7th concurrent
    /// delivery behind the first six, where it spent its budget waiting for a healthy provider.
    @Test func concurrentSendsToASlowProviderDoNotQueueBehindEachOther() async throws {
        // 0.8 s per call: six at a time would need three rounds (2.4 s) for 16 sends, past the 2 s budget.
        let (provider, p) = try await Self.start("sleep:0.8")
        defer { p.stop(); provider.stop() }
        let client = PasscodeClient(p)
        let results = await LoadRun.parallel(16) { _ in (try? client.send(email: uniqueEmail("parallel")))?.status }
        #expect(results.filter { $0 == 204 }.count == 16, "\(results)")
        #expect(provider.requestCount == 16)
    }

    @Test func circuitBreakerOpensAfterConsecutiveFailuresAndClosesAfterTheCoolDown() async throws {
        let (provider, p) = try await Self.start("503")
        defer { p.stop(); provider.stop() }
        let client = PasscodeClient(p)

        // Three failed deliveries (each retried inside its budget) open the breaker.
        for _ in 0..<3 {
            #expect(try await Self.timed { try client.send(email: uniqueEmail("breaker")) }.0.code == "connector.general")
        }
        let seen = provider.requestCount
        #expect(seen >= 3)

        // Open: refused at once, without calling the provider; SMS is unaffected.
        let (open, openSeconds) = try await Self.timed { try client.send(email: uniqueEmail("breaker")) }
        #expect(open.code == "connector.general")
        #expect(open.text.contains("temporarily unavailable"))
        #expect(openSeconds < 1, "an open breaker took \(openSeconds) s")
        #expect(provider.requestCount == seen)
        #expect(try await Self.timed { try client.send(phone: uniquePhone()) }.0.status == 204)

        // The provider recovers; after the cool-down one trial goes through and closes the breaker.
        provider.setAction("200")
        try await waitUntil("the breaker lets a trial through", timeout: .seconds(20), every: .milliseconds(100)) {
            try await Self.timed { try client.send(email: uniqueEmail("breaker")) }.0.status == 204
        }
        for _ in 0..<3 {
            #expect(try await Self.timed { try client.send(email: uniqueEmail("breaker")) }.0.status == 204)
        }
    }
}
