import Foundation
import Testing

/// Guessing attacks against one identifier (docs/RELIABILITY.md "Guessing bound"). Each test has
/// its own instance so the lockout state of one never leaks into another.
@Suite(.serialized, .heavy) struct AbuseTests {
    /// Defaults of API.md §4–§5 (lockout 100 failures per 3600 s → locked 60 min; 10 attempts per
    /// code), with the send caps raised so the attacker can get as many codes as it wants: only the
    /// lockout stands between it and the code.
    static let lockoutAttempts = 100
    static let maxAttemptsPerCode = 10

    /// What an attack run saw: responses by error code, and anything unexpected on the way.
    struct Tally: Sendable {
        var outcomes: [String: Int] = [:]
        var interactions = 0
        var surprises: [String] = []
    }

    @Test(.timeLimit(.minutes(3)))
    func thousandWrongGuessesOverManyInteractionsNeverGetPastTheLockout() async throws {
        let p = try await PasscodeProcess.launch(environment: [
            "PASSCODE_SEND_LIMIT": "100000", "PASSCODE_IP_SEND_LIMIT": "1000000", "PASSCODE_LOG_LEVEL": "info",
        ])
        defer { p.stop() }
        let phone = uniquePhone()
        // The 1,300 blocking requests run off the cooperative pool; the checks follow on the test's task.
        let tally = try await LoadRun.offPool { () throws -> Tally in
            var tally = Tally()
            var guesses = 0
            while guesses < 1_000 {
                var client = PasscodeClient(p)
                let started = try client.startInteraction()
                if started.status != 204 { tally.surprises.append("PUT \(started.status)") }
                tally.interactions += 1
                let sent = try client.experienceSend(type: "phone", value: phone)
                guard sent.status == 200, let id = sent.json?["verificationId"] as? String, let code = p.code(for: phone) else {
                    throw E2EError.http("send \(tally.interactions): \(sent.status) \(sent.text)")
                }
                // Never more guesses on one code than it allows: a fresh code each time.
                for _ in 0..<Self.maxAttemptsPerCode where guesses < 1_000 {
                    let r = try client.experienceVerify(type: "phone", value: phone, verificationId: id, code: wrongCode(code))
                    if r.status != 400 { tally.surprises.append("verify \(r.status)") }
                    tally.outcomes[r.code ?? "\(r.status)", default: 0] += 1
                    guesses += 1
                }
            }
            return tally
        }
        #expect(tally.surprises.isEmpty, "\(tally.surprises)")
        #expect(tally.interactions == 100)
        // Exactly lockoutAttempts guesses were judged against a code (the last of them is answered
        // "blocked" as it locks); every later one is refused unseen.
        #expect(tally.outcomes["verification_code.code_mismatch"] == Self.lockoutAttempts - 1)
        #expect(tally.outcomes["session.verification_blocked_too_many_attempts"] == 1_000 - (Self.lockoutAttempts - 1))
        #expect(tally.outcomes.count == 2, "\(tally.outcomes)")

        // The lock holds for the right code too, in a fresh interaction; another identifier is free.
        let (locked, other) = try await LoadRun.offPool { () throws -> (HTTPTestResponse, HTTPTestResponse) in
            var fresh = PasscodeClient(p)
            try fresh.startInteraction()
            guard let id = try fresh.experienceSend(type: "phone", value: phone).json?["verificationId"] as? String,
                  let code = p.code(for: phone) else { throw E2EError.http("send after the lock") }
            let locked = try fresh.experienceVerify(type: "phone", value: phone, verificationId: id, code: code)
            let otherPhone = uniquePhone()
            guard let otherID = try fresh.experienceSend(type: "phone", value: otherPhone).json?["verificationId"] as? String,
                  let otherCode = p.code(for: otherPhone) else { throw E2EError.http("send to another phone") }
            return (locked, try fresh.experienceVerify(type: "phone", value: otherPhone, verificationId: otherID, code: otherCode))
        }
        #expect(locked.code == "session.verification_blocked_too_many_attempts")
        #expect(other.status == 200)
    }

    /// The Management verify has no lockout (API.md §5.2); its bound is the send guard times the
    /// attempts per code: 10 codes per 600 s × 10 attempts = 100 guesses per 600 s = 600 per hour,
    /// and only for a caller holding an API key.
    @Test(.timeLimit(.minutes(2)))
    func managementGuessesPerWindowAreBoundedBySendLimitTimesAttemptsPerCode() async throws {
        let p = try await PasscodeProcess.launch(environment: ["PASSCODE_LOG_LEVEL": "info"])
        defer { p.stop() }
        let email = uniqueEmail("mgmt-guess")
        struct Run: Sendable {
            var codes = 0
            var judged = 0
            var retryAfter: Int?
            var surprises: [String] = []
        }
        let run = try await LoadRun.offPool { () throws -> Run in
            let client = PasscodeClient(p)
            var run = Run()
            // Bounded: the 11th send must be refused; stop at 20 whatever happens.
            while run.codes < 20 {
                let sent = try client.send(email: email)
                if sent.status == 429 {
                    if sent.code != "request.message_rate_limited" { run.surprises.append("429 \(sent.code ?? "")") }
                    run.retryAfter = Int(sent.header("retry-after") ?? "")
                    break
                }
                guard sent.status == 204, let code = p.code(for: email) else { throw E2EError.http("send \(sent.status)") }
                run.codes += 1
                for _ in 0...Self.maxAttemptsPerCode + 1 {
                    let r = try client.verify(email: email, code: wrongCode(code))
                    if r.code == "verification_code.exceed_max_try" { break }
                    if r.code != "verification_code.code_mismatch" { run.surprises.append("verify \(r.code ?? "\(r.status)")") }
                    run.judged += 1
                }
                // Once the attempts are spent even the right code is refused.
                let right = try client.verify(email: email, code: code)
                if right.code != "verification_code.exceed_max_try" { run.surprises.append("right code \(right.code ?? "\(right.status)")") }
            }
            return run
        }
        let sendLimit = 10
        let windowsPerHour = 3600 / 600
        #expect(run.surprises.isEmpty, "\(run.surprises)")
        #expect(run.codes == sendLimit)
        #expect(run.judged == sendLimit * Self.maxAttemptsPerCode)
        #expect(run.judged * windowsPerHour == 600)
        let retryAfter = try #require(run.retryAfter)
        #expect(retryAfter > 500 && retryAfter <= 600)
    }
}
