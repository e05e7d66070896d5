import Foundation
import Glibc
import SyncCore
import TestSupport
import Testing

/// Steady mixed load against a real `passcode up` while its children are SIGKILLed in turn
/// (docs/RELIABILITY.md "Process crashes"). Every request is accounted for: answered, refused or
/// dropped (allowed only while the gateway itself is down), or hung (never allowed).
@Suite(.serialized, .heavy) struct FaultInjectionTests {
    /// One request of the load and what it got.
    struct Sample: Sendable {
        enum Kind: Sendable { case send, verify, replay }
        var kind: Kind
        var email: String
        var started: Date
        var seconds: Double
        var outcome: RequestOutcome
        var status: Int? { outcome.status }
    }

    /// When each fault happened and when the service answered again.
    struct Timeline: Sendable {
        var gatewayDown: Date?
        var gatewayBack: Date?
        var killed: [String: Int32] = [:]
    }

    @Test(.timeLimit(.minutes(3)))
    func steadyLoadSurvivesSIGKILLOfVerifierThenConnectorThenGateway() async throws {
        // A fixed port: with port 0 a restarted gateway would pick another one.
        let port = try RefusingPort.recentlyFree()
        let p = try await PasscodeProcess.launch(environment: ["PASSCODE_LISTEN": "127.0.0.1:\(port)", "PASSCODE_LOG_LEVEL": "info"])
        defer { p.stop() }
        let outbox = OutboxTail(dataDirectory: p.dataDirectory)
        let wire = WireClient(host: p.host, port: p.port)
        let auth = [("Authorization", "Bearer e2e-key-123456")]
        let runID = UInt32.random(in: 0...UInt32.max)

        // Codes issued before any fault, verified only after all of them.
        var reserved: [(email: String, code: String)] = []
        for i in 0..<20 {
            let email = "reserved-\(runID)-\(i)@example.com"
            #expect(wire.perform("POST", "/api/verification-codes", json: #"{"email":"\#(email)"}"#, headers: auth).status == 204)
            reserved.append((email, try #require(outbox.latestCode(to: email))))
        }

        let samples = Locked<[Sample]>([])
        let timeline = Locked(Timeline())
        // 8 workers × 25 requests/s ≈ 200 requests/s for 18 s. Each worker cycles send → verify →
        // replay of the same code, one fresh recipient per cycle, so every outbox line belongs to
        // exactly one send and a second success of a code would show.
        let duration = 18.0
        async let load: Void = LoadRun.run(workers: 8, duration: duration, perWorkerRate: 25) { worker, iteration in
            let cycle = iteration / 3
            let email = "load-\(runID)-\(worker)-\(cycle)@example.com"
            let kind: Sample.Kind = [.send, .verify, .replay][iteration % 3]
            let started = Date()
            let outcome: RequestOutcome
            switch kind {
            case .send:
                outcome = wire.perform("POST", "/api/verification-codes", json: #"{"email":"\#(email)"}"#, headers: auth)
            case .verify, .replay:
                let code = outbox.codes(to: email).last ?? "000000"
                outcome = wire.perform("POST", "/api/verification-codes/verify",
                                       json: #"{"email":"\#(email)","verificationCode":"\#(code)"}"#, headers: auth)
            }
            let sample = Sample(kind: kind, email: email, started: started, seconds: Date().timeIntervalSince(started), outcome: outcome)
            samples.withLock { $0.append(sample) }
        }

        // The faults, on a schedule inside the load window.
        let start = Date()
        for (name, at) in [("verifier", 4.0), ("connector", 9.0), ("gateway", 14.0)] {
            try await Task.sleep(for: .seconds(max(0, at - Date().timeIntervalSince(start))))
            let pid = try #require(p.childPID(name))
            if name == "gateway" { timeline.withLock { $0.gatewayDown = Date() } }
            #expect(kill(pid, SIGKILL) == 0)
            timeline.withLock { $0.killed[name] = pid }
            try await waitUntil("\(name) restarted", timeout: .seconds(30), every: .milliseconds(20)) {
                guard let now = p.childPID(name), now != pid else { return false }
                return wire.perform("GET", "/readyz").status == 200
            }
            if name == "gateway" { timeline.withLock { $0.gatewayBack = Date() } }
        }
        await load

        let all = samples.withLock { $0 }
        let faults = timeline.withLock { $0 }
        let gatewayDown = try #require(faults.gatewayDown)
        let gatewayBack = try #require(faults.gatewayBack)
        #expect(all.count > 1_000, "the load ran: \(all.count) requests")

        // Every request was answered, except those the killed gateway was holding or that came
        // while it was down; none hung; no 5xx but a fast 503.
        var unanswered = 0
        for sample in all {
            let end = sample.started.addingTimeInterval(sample.seconds)
            let duringGatewayOutage = end >= gatewayDown.addingTimeInterval(-0.05) && sample.started <= gatewayBack.addingTimeInterval(0.5)
            switch sample.outcome {
            case .answered(let r):
                #expect(r.status < 500 || r.status == 503, "\(sample.kind) answered \(r.status): \(r.text)")
                if r.status == 503 {
                    #expect(sample.seconds < 6, "a 503 took \(sample.seconds) s")
                    #expect(r.header("retry-after") != nil)
                }
            case .timedOut:
                Issue.record("\(sample.kind) to \(sample.email) hung (no answer in \(sample.seconds) s)")
            case .refused, .dropped:
                unanswered += 1
                #expect(duringGatewayOutage, "\(sample.kind) got \(sample.outcome) at +\(sample.started.timeIntervalSince(start)) s, outside the gateway outage")
            }
        }
        #expect(unanswered < all.count / 10, "\(unanswered) requests unanswered")
        #expect(all.contains { $0.status == 503 }, "the faults were visible as fast 503s")

        // No code verified twice; at most one message per send (one send per recipient here).
        let delivered = outbox.all
        var bySend: [String: [Sample]] = [:]
        for sample in all { bySend[sample.email, default: []].append(sample) }
        var interrupted: [(String, String)] = []
        for (email, group) in bySend {
            let successes = group.filter { $0.kind != .send && ($0.status == 204) }.count
            #expect(successes <= 1, "\(email) verified \(successes) times")
            let messages = delivered[email]?.count ?? 0
            #expect(messages <= 1, "\(email) got \(messages) messages for one send")
            let sent = group.contains { $0.kind == .send && $0.status == 204 }
            if sent { #expect(messages == 1, "\(email): 204 but no message") }
            // A delivered code that a live verifier judged is accepted the first time, and only then.
            if sent, let verify = group.first(where: { $0.kind == .verify }), let status = verify.status, status != 503 {
                #expect(status == 204, "\(email): the right code got \(status)")
                if status == 204, let replay = group.first(where: { $0.kind == .replay }), replay.status != 503, replay.status != nil {
                    #expect(replay.outcome.response?.code == "verification_code.not_found")
                }
            }
            // Codes no live verifier answered for: if no attempt reached the gateway at all, the code
            // is untouched; if one was cut off or got a 503 it may have been consumed just before a
            // process died (at most once), but it can never have become wrong.
            let attempts = group.filter { $0.kind != .send }
            if sent, let code = delivered[email]?.last, attempts.allSatisfy({ $0.status == nil || $0.status == 503 }) {
                let untouched = attempts.allSatisfy { if case .refused = $0.outcome { true } else { false } }
                if untouched { reserved.append((email, code)) } else { interrupted.append((email, code)) }
            }
        }

        // After all three restarts: every code issued before the faults, and every delivered code
        // no request ever reached, verifies exactly once.
        for (email, code) in reserved {
            let verify = #"{"email":"\#(email)","verificationCode":"\#(code)"}"#
            let first = wire.perform("POST", "/api/verification-codes/verify", json: verify, headers: auth)
            #expect(first.status == 204, "\(email): \(first.response?.text ?? "\(first)")")
            #expect(wire.perform("POST", "/api/verification-codes/verify", json: verify, headers: auth).response?.code
                == "verification_code.not_found")
        }
        for (email, code) in interrupted {
            let verify = #"{"email":"\#(email)","verificationCode":"\#(code)"}"#
            let first = wire.perform("POST", "/api/verification-codes/verify", json: verify, headers: auth)
            #expect(first.status == 204 || first.response?.code == "verification_code.not_found",
                    "\(email): \(first.response?.text ?? "\(first)")")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func sigtermDuringLoadFinishesInFlightRequestsRefusesNewOnesAndExitsZero() async throws {
        let provider = try await LoadRun.offPool { try ProviderFixture.start() }
        defer { provider.stop() }
        provider.setAction("sleep:2")
        let p = try await PasscodeProcess.launch(environment: provider.emailEnvironment)
        defer { p.stop() }
        let wire = WireClient(host: p.host, port: p.port)
        let auth = [("Authorization", "Bearer e2e-key-123456")]

        // Background load on the fast channel (SMS to the outbox).
        let stopped = Locked<Date?>(nil)
        let background = Locked<[(Date, RequestOutcome)]>([])
        async let load: Void = LoadRun.run(workers: 4, duration: 6, perWorkerRate: 20) { _, _ in
            let started = Date()
            let outcome = wire.perform("POST", "/api/verification-codes", json: #"{"phone":"\#(uniquePhone())"}"#, headers: auth)
            background.withLock { $0.append((started, outcome)) }
        }

        // Slow sends that are certainly inside the gateway: the provider has seen each of them.
        let slow = 12
        async let inFlight: [(outcome: RequestOutcome, finished: Date)] = LoadRun.parallel(slow) { _ in
            (wire.perform("POST", "/api/verification-codes", json: #"{"email":"\#(uniqueEmail("drain"))"}"#, headers: auth), Date())
        }
        try await waitUntil("the provider holds every slow send", timeout: .seconds(30), every: .milliseconds(10)) {
            provider.requestCount >= slow
        }
        stopped.withLock { $0 = Date() }
        #expect(kill(p.process.processIdentifier, SIGTERM) == 0)
        // Draining: new connections are refused while the slow sends are still being answered.
        try await waitUntil("new connections are refused during the drain", timeout: .seconds(10), every: .milliseconds(5)) {
            if case .refused = wire.perform("GET", "/healthz") { return true }
            return false
        }
        let refusedAt = Date()
        let status = await LoadRun.blocking { p.stop(timeout: 60) }

        let slowResults = await inFlight
        await load
        #expect(status == 0, "passcode up exited \(status)")
        #expect(slowResults.count == slow)
        for r in slowResults {
            #expect(r.outcome.status == 204, "an in-flight send got \(r.outcome)")
            #expect(r.finished > refusedAt, "a slow send finished before the drain refused new connections")
        }
        #expect(wire.perform("GET", "/healthz").status == nil, "the gateway still answers after the drain")

        // Before SIGTERM every background request was answered; after it, refusals are expected.
        let stopAt = try #require(stopped.withLock { $0 })
        let records = background.withLock { $0 }
        #expect(records.contains { $0.0 < stopAt })
        for (started, outcome) in records where started < stopAt.addingTimeInterval(-0.2) {
            #expect(outcome.status == 204, "a request before SIGTERM got \(outcome)")
        }
        for (_, outcome) in records {
            if case .timedOut = outcome { Issue.record("a request hung during the drain") }
            if let status = outcome.status { #expect(status == 204 || status == 503, "drain answered \(status)") }
        }
    }
}
