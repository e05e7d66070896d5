import Foundation
import Glibc
import Testing

/// No email connector and a small lockout: 501, the record stays (a later verify says
/// code_mismatch), failed deliveries don't count, and the sentinel locks the identifier.
@Suite(.passcode(["PASSCODE_EMAIL_PROVIDER": "none", "PASSCODE_LOCKOUT_ATTEMPTS": "5", "PASSCODE_SEND_LIMIT": "3"]), .serialized)
struct LimitsTests {
    @Test func noConnectorIs501AndTheRecordStays() throws {
        let p = try Running.current
        let client = PasscodeClient(p)
        let email = uniqueEmail("noconn")
        let r = try client.send(email: email)
        #expect(r.status == 501)
        #expect(r.code == "connector.not_found")
        #expect(r.json?["message"] as? String == "Cannot find any available connector for type: Email.")
        #expect(try client.verify(email: email, code: "123456").code == "verification_code.code_mismatch")
        // Failed deliveries do not count toward the send limit (3 here).
        for _ in 0..<5 { #expect(try client.send(email: email).status == 501) }
    }

    @Test func phoneStillWorksWhenEmailHasNoConnectorAndItsLimitHolds() throws {
        let p = try Running.current
        let client = PasscodeClient(p)
        let phone = uniquePhone()
        for _ in 0..<3 { #expect(try client.send(phone: phone).status == 204) }
        #expect(try client.send(phone: phone).status == 429)
    }

    @Test func fifthFailedExperienceVerifyLocksTheIdentifierEvenForTheRightCode() throws {
        let p = try Running.current
        var client = PasscodeClient(p)
        try client.startInteraction()
        let phone = uniquePhone()
        let id = try #require(try client.experienceSend(type: "phone", value: phone).json?["verificationId"] as? String)
        let code = try #require(p.code(for: phone))
        for _ in 0..<4 {
            #expect(try client.experienceVerify(type: "phone", value: phone, verificationId: id, code: wrongCode(code)).code
                == "verification_code.code_mismatch")
        }
        let fifth = try client.experienceVerify(type: "phone", value: phone, verificationId: id, code: wrongCode(code))
        #expect(fifth.status == 400)
        #expect(fifth.code == "session.verification_blocked_too_many_attempts")
        #expect(try client.experienceVerify(type: "phone", value: phone, verificationId: id, code: code).code
            == "session.verification_blocked_too_many_attempts")
        // The lock is on the identifier, across interactions.
        var other = PasscodeClient(p)
        try other.startInteraction()
        let id2 = try #require(try other.experienceSend(type: "phone", value: phone).json?["verificationId"] as? String)
        let code2 = try #require(p.code(for: phone))
        #expect(try other.experienceVerify(type: "phone", value: phone, verificationId: id2, code: code2).code
            == "session.verification_blocked_too_many_attempts")
    }
}

/// The launcher as an operator sees it.
@Suite struct LauncherTests {
    @Test func killedVerifierIsRestartedAndCodesSentBeforeStillVerify() throws {
        let p = try PasscodeProcess()
        defer { p.stop() }
        let client = PasscodeClient(p)
        let email = uniqueEmail("restart")
        #expect(try client.send(email: email).status == 204)
        let code = try #require(p.code(for: email))
        let pid = try #require(p.childPID("verifier"))
        kill(pid, SIGKILL)
        // Until the verifier is back, requests get a fast 503; then the code verifies.
        let deadline = Date().addingTimeInterval(20)
        var last = 0
        while Date() < deadline {
            let started = Date()
            let r = try client.verify(email: email, code: code)
            #expect(Date().timeIntervalSince(started) < 5, "a request hung while the verifier was down")
            last = r.status
            if r.status != 503 { break }
            #expect(r.code == "service.unavailable")
            usleep(100_000)
        }
        #expect(last == 204)
        #expect(p.childPID("verifier") != pid)
    }

    @Test func killedGatewayOnPortZeroComesBackOnTheAnnouncedPort() throws {
        let p = try PasscodeProcess()
        defer { p.stop() }
        let client = PasscodeClient(p)
        let email = uniqueEmail("gateway-restart")
        #expect(try client.send(email: email).status == 204)
        let code = try #require(p.code(for: email))
        let pid = try #require(p.childPID("gateway"))
        kill(pid, SIGKILL)
        // The ready line's URL (port 0 picked at start) serves again once the launcher restarts it.
        let deadline = Date().addingTimeInterval(20)
        var status: Int?
        while Date() < deadline {
            status = try? client.verify(email: email, code: code).status
            if status == 204 { break }
            usleep(100_000)
        }
        #expect(status == 204)
        #expect(p.childPID("gateway") != pid)
    }

    @Test func sigtermStopsAllChildrenAndExitsZero() throws {
        let p = try PasscodeProcess()
        let pids = ["gateway", "verifier", "connector"].compactMap { p.childPID($0) }
        #expect(pids.count == 3)
        #expect(p.stop() == 0)
        for pid in pids { #expect(kill(pid, 0) != 0, "child \(pid) still running") }
        #expect(!FileManager.default.fileExists(atPath: p.dataDirectory + "/verifier.sock"))
    }

    @Test func badConfigurationStopsWithOneClearLineAndExit78() throws {
        let dir = PasscodeProcess.makeTemporaryDirectory("badcfg")
        let run = try PasscodeProcess.runCommand(["up"], environment: [
            "PASSCODE_DATA_DIR": dir, "PASSCODE_LISTEN": "127.0.0.1:0", "PASSCODE_CODE_TTL": "5",
        ])
        #expect(run.status == 78)
        #expect(run.output.contains("PASSCODE_CODE_TTL"))
    }

    @Test func portAlreadyTakenStopsWithNonZeroExit() throws {
        let first = try PasscodeProcess()
        defer { first.stop() }
        let run = try PasscodeProcess.runCommand(["up"], environment: [
            "PASSCODE_DATA_DIR": PasscodeProcess.makeTemporaryDirectory("port"), "PASSCODE_LISTEN": "127.0.0.1:\(first.port)",
        ])
        #expect(run.status != 0)
        #expect(run.output.contains("gateway could not start"))
    }
}
