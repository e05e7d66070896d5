import Foundation
import Testing

/// API.md §3 over real HTTP: interactions, cookies, per-session records.
@Suite(.passcode(), .serialized) struct ExperienceAPITests {
    @Test func fullFlowReturnsTheSameVerificationIdAndConsumesTheCode() throws {
        let p = try Running.current
        var client = PasscodeClient(p)
        let start = try client.startInteraction()
        #expect(start.status == 204)
        let setCookie = try #require(start.header("set-cookie"))
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] { #expect(setCookie.contains(attribute)) }
        let email = uniqueEmail("exp")
        let sent = try client.experienceSend(type: "email", value: email)
        #expect(sent.status == 200)
        let id = try #require(sent.json?["verificationId"] as? String)
        #expect(id.count >= 21 && id.allSatisfy { $0.isNumber || ($0.isLowercase && $0.isASCII) })
        let message = try #require(p.outboxMessage(to: email))
        #expect(message["type"] as? String == "SignIn")
        let code = try #require(message["code"] as? String)
        let ok = try client.experienceVerify(type: "email", value: email, verificationId: id, code: code)
        #expect(ok.status == 200)
        #expect(ok.json?["verificationId"] as? String == id)
        let again = try client.experienceVerify(type: "email", value: email, verificationId: id, code: code)
        #expect(again.code == "verification_code.not_found")
        let interaction = try client.http.request("GET", "/api/experience/interaction", headers: client.cookieHeader)
        #expect(interaction.status == 200)
        #expect(!interaction.text.contains(code))
        let records = try #require(interaction.json?["verificationRecords"] as? [[String: Any]])
        #expect(records.count == 1)
        #expect(records.first?["type"] as? String == "EmailVerificationCode")
        #expect(records.first?["verified"] as? Bool == true)
    }

    @Test func missingOrForgedCookieIsSessionNotFound() throws {
        let p = try Running.current
        var client = PasscodeClient(p)
        let missing = try client.experienceSend(type: "email", value: uniqueEmail("nocookie"))
        #expect(missing.status == 400)
        #expect(missing.code == "session.not_found")
        try client.startInteraction()
        let real = try #require(client.cookie)
        client.cookie = String(real.dropLast(2)) + (real.hasSuffix("AA") ? "BB" : "AA")
        #expect(try client.experienceSend(type: "email", value: uniqueEmail("forged")).code == "session.not_found")
        client.cookie = "_interaction=abcdef"
        #expect(try client.http.request("GET", "/api/experience/interaction", headers: client.cookieHeader).code == "session.not_found")
    }

    @Test func recordsArePerSessionAndANewSendReplacesTheOldRecord() throws {
        let p = try Running.current
        var a = PasscodeClient(p)
        var b = PasscodeClient(p)
        try a.startInteraction()
        try b.startInteraction()
        let email = uniqueEmail("persession")
        let first = try #require(try a.experienceSend(type: "email", value: email).json?["verificationId"] as? String)
        let code1 = try #require(p.code(for: email))
        // Another session cannot use a's record.
        #expect(try b.experienceVerify(type: "email", value: email, verificationId: first, code: code1).status == 404)
        // A second send in a replaces the first record: its id is now unknown.
        let second = try #require(try a.experienceSend(type: "email", value: email).json?["verificationId"] as? String)
        #expect(second != first)
        let code2 = try #require(p.code(for: email))
        let old = try a.experienceVerify(type: "email", value: email, verificationId: first, code: code1)
        #expect(old.status == 404)
        #expect(old.code == "session.verification_session_not_found")
        #expect(try a.experienceVerify(type: "email", value: email, verificationId: second, code: code2).status == 200)
    }

    @Test func putResetsTheInteraction() throws {
        let p = try Running.current
        var client = PasscodeClient(p)
        try client.startInteraction()
        let phone = uniquePhone()
        let id = try #require(try client.experienceSend(type: "phone", value: phone).json?["verificationId"] as? String)
        let code = try #require(p.code(for: phone))
        #expect(try client.startInteraction("Register").status == 204)
        #expect(try client.experienceVerify(type: "phone", value: phone, verificationId: id, code: code).status == 404)
        let interaction = try client.http.request("GET", "/api/experience/interaction", headers: client.cookieHeader)
        #expect(interaction.json?["interactionEvent"] as? String == "Register")
        #expect((interaction.json?["verificationRecords"] as? [Any])?.isEmpty == true)
    }

    @Test func identifierMismatchEmptyCodeAndWrongCode() throws {
        let p = try Running.current
        var client = PasscodeClient(p)
        try client.startInteraction()
        let email = uniqueEmail("mismatch")
        let id = try #require(try client.experienceSend(type: "email", value: email).json?["verificationId"] as? String)
        let code = try #require(p.code(for: email))
        #expect(try client.experienceVerify(type: "email", value: email, verificationId: id, code: "").code == "verification_code.not_found")
        #expect(try client.experienceVerify(type: "email", value: uniqueEmail("other"), verificationId: id, code: code).code
            == "verification_code.email_mismatch")
        #expect(try client.experienceVerify(type: "email", value: email, verificationId: id, code: wrongCode(code)).code
            == "verification_code.code_mismatch")
        #expect(try client.experienceVerify(type: "email", value: email, verificationId: id, code: code).status == 200)
    }

    @Test func phoneMismatch() throws {
        let p = try Running.current
        var client = PasscodeClient(p)
        try client.startInteraction()
        let phone = uniquePhone()
        let id = try #require(try client.experienceSend(type: "phone", value: phone).json?["verificationId"] as? String)
        let code = try #require(p.code(for: phone))
        #expect(try client.experienceVerify(type: "phone", value: uniquePhone(), verificationId: id, code: code).code
            == "verification_code.phone_mismatch")
    }
}

@Suite(.passcode(), .serialized) struct OperationsTests {
    @Test func healthReadinessMetricsAndOpenAPI() throws {
        let p = try Running.current
        let http = PasscodeClient(p).http
        #expect(try http.request("GET", "/healthz").status == 200)
        #expect(try http.request("GET", "/readyz").status == 200)
        let metrics = try http.request("GET", "/metrics")
        #expect(metrics.text.contains(#"passcode_backend_up{backend="verifier"} 1"#))
        let doc = try http.request("GET", "/api/openapi.json")
        #expect(doc.json?["openapi"] as? String == "3.1.0")
        let missing = try http.request("GET", "/nope")
        #expect(missing.status == 404)
        let wrong = try http.request("DELETE", "/api/verification-codes")
        #expect(wrong.status == 405)
        #expect(wrong.header("allow") == "POST")
    }

    @Test func requestIdIsEchoedAndLogsCarryNoCodeKeyOrFullIdentifier() throws {
        let p = try Running.current
        let client = PasscodeClient(p)
        let email = uniqueEmail("logs")
        let r = try client.http.request("POST", "/api/verification-codes", json: #"{"email":"\#(email)"}"#,
                                        headers: client.auth + [("X-Request-Id", "trace-abc-123")])
        #expect(r.header("x-request-id") == "trace-abc-123")
        let code = try #require(p.code(for: email))
        #expect(try client.verify(email: email, code: code).status == 204)
        let log = p.log
        #expect(log.contains("trace-abc-123"))
        #expect(!log.contains("\"\(code)\""))
        #expect(!log.contains(code + "\""))
        #expect(!log.contains(email))
        #expect(!log.contains("e2e-key-123456"))
    }
}
