import Foundation
import Testing

/// Guessing attacks against one identifier (docs/RELIABILITY.md "Guessing bound"). Each test has
/// its own instance so the lockout state of one never leaks into another.
@Suite(.serialized) struct AbuseTests {
    /// Defaults of API.md §4–§5 (lockout 100 failures per 3600 s → locked 60 min; 10 attempts per
    /// code), with the send caps raised so the attacker can get as many codes as it wants: only the
    /// lockout stands between it and the code.
    static let lockoutAttempts = 100
    static let maxAttemptsPerCode = 10

    @Test(.timeLimit(.minutes(3)))
    func thousandWrongGuessesOverManyInteractionsNeverGetPastTheLockout() throws {
        let p = try PasscodeProcess(environment: [
            "PASSCODE_SEND_LIMIT": "100000", "PASSCODE_IP_SEND_LIMIT": "1000000", "PASSCODE_LOG_LEVEL": "info",
        ])
        defer { p.stop() }
        let phone = uniquePhone()
        var outcomes: [String: Int] = [:]
        var guesses = 0
        var interactions = 0
        while guesses < 1_000 {
            var client = PasscodeClient(p)
            #expect(try client.startInteraction().status == 204)
            interactions += 1
            let sent = try client.experienceSend(type: "phone", value: phone)
            #expect(sent.status == 200, "send \(interactions): \(sent.status) \(sent.text)")
            let id = try #require(sent.json?["verificationId"] as? String)
            let code = try #require(p.code(for: phone))
            // Never more guesses on one code than it allows: a fresh code each time.
            for _ in 0..<Self.maxAttemptsPerCode where guesses < 1_000 {
                let r = try client.experienceVerify(type: "phone", value: phone, verificationId: id, code: wrongCode(code))
                #expect(r.status == 400)
                outcomes[r.code ?? "\(r.status)", default: 0] += 1
                guesses += 1
            }
        }
        #expect(interactions == 100)
        // Exactly lockoutAttempts guesses were judged against a code (the last of them is answered
        // "blocked" as it locks); every later one is refused unseen.
        #expect(outcomes["verification_code.code_mismatch"] == Self.lockoutAttempts - 1)
        #expect(outcomes["session.verification_blocked_too_many_attempts"] == 1_000 - (Self.lockoutAttempts - 1))
        #expect(outcomes.count == 2, "\(outcomes)")

        // The lock holds for the right code too, in a fresh interaction.
        var fresh = PasscodeClient(p)
        try fresh.startInteraction()
        let id = try #require(try fresh.experienceSend(type: "phone", value: phone).json?["verificationId"] as? String)
        let code = try #require(p.code(for: phone))
        #expect(try fresh.experienceVerify(type: "phone", value: phone, verificationId: id, code: code).code
            == "session.verification_blocked_too_many_attempts")
        // Another identifier is not affected.
        let other = uniquePhone()
        let otherID = try #require(try fresh.experienceSend(type: "phone", value: other).json?["verificationId"] as? String)
        #expect(try fresh.experienceVerify(type: "phone", value: other, verificationId: otherID,
                                           code: try #require(p.code(for: other))).status == 200)
    }

    /// The Management verify has no lockout (API.md §5.2); its bound is the send guard times the
    /// attempts per code: 10 codes per 600 s × 10 attempts = 100 guesses per 600 s = 600 per hour,
    /// and only for a caller holding an API key.
    @Test(.timeLimit(.minutes(2)))
    func managementGuessesPerWindowAreBoundedBySendLimitTimesAttemptsPerCode() throws {
        let p = try PasscodeProcess(environment: ["PASSCODE_LOG_LEVEL": "info"])
        defer { p.stop() }
        let client = PasscodeClient(p)
        let email = uniqueEmail("mgmt-guess")
        var judged = 0
        var codes = 0
        while true {
            let sent = try client.send(email: email)
            if sent.status == 429 {
                #expect(sent.code == "request.message_rate_limited")
                let retry = try #require(Int(sent.header("retry-after") ?? ""))
                #expect(retry > 500 && retry <= 600)
                break
            }
            #expect(sent.status == 204)
            codes += 1
            #expect(codes <= 10)
            if codes > 10 { break }
            let code = try #require(p.code(for: email))
            while true {
                let r = try client.verify(email: email, code: wrongCode(code))
                if r.code == "verification_code.exceed_max_try" { break }
                #expect(r.code == "verification_code.code_mismatch")
                judged += 1
                if judged > 200 { break }
            }
            // Once the attempts are spent even the right code is refused.
            #expect(try client.verify(email: email, code: code).code == "verification_code.exceed_max_try")
        }
        let sendLimit = 10
        let windowsPerHour = 3600 / 600
        #expect(codes == sendLimit)
        #expect(judged == sendLimit * Self.maxAttemptsPerCode)
        #expect(judged * windowsPerHour == 600)
    }
}
