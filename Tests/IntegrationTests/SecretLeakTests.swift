import CryptoCore
import Foundation
import Testing

/// A full end-to-end run at debug log level, then a search of everything the service said — the
/// JSON logs of all four processes, every response (status line, headers, body) and `/metrics` —
/// for every code it issued, the API keys, the server and JWT secrets, the bearer token and the
/// session cookie (docs/RELIABILITY.md "Secrets").
@Suite struct SecretLeakTests {
    static let serverSecret = "leakprobe-server-secret-5f1c9a7e"
    static let jwtSecret = "leakprobe-jwt-secret-0b8d2c4e"

    /// An HS256 token for `scope`, valid for an hour (RFC 7519).
    static func token(scope: String) -> String {
        let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let exp = Int(Date().timeIntervalSince1970) + 3600
        let payload = Base64URL.encode(Array(#"{"sub":"leak","scope":"\#(scope)","exp":\#(exp)}"#.utf8))
        let signature = HMAC.sha256(key: Array(jwtSecret.utf8), message: Array("\(header).\(payload)".utf8))
        return "\(header).\(payload).\(Base64URL.encode(signature))"
    }

    /// `needle` occurs in `text` as a whole token: not inside a longer run of digits (codes are
    /// digits, and log lines hold other numbers).
    static func occurs(_ needle: String, in text: String) -> Bool {
        var search = text[...]
        while let range = search.range(of: needle) {
            let before = range.lowerBound > text.startIndex ? text[text.index(before: range.lowerBound)] : " "
            let after = range.upperBound < text.endIndex ? text[range.upperBound] : " "
            if !(before.isNumber || after.isNumber) { return true }
            search = text[range.upperBound...]
        }
        return false
    }

    @Test(.timeLimit(.minutes(2)))
    func noCodeKeyOrSecretAppearsInAnyLogLineMetricOrResponse() async throws {
        let p = try await PasscodeProcess.launch(environment: [
            "PASSCODE_SECRET": Self.serverSecret, "PASSCODE_JWT_SECRET": Self.jwtSecret,
            "PASSCODE_CODE_LENGTH": "8", "PASSCODE_LOG_LEVEL": "debug",
        ])
        defer { p.stop() }
        var said: [String] = []
        func keep(_ r: HTTPTestResponse) -> HTTPTestResponse {
            said.append("\(r.status) " + r.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n") + "\n" + r.text)
            return r
        }
        let client = PasscodeClient(p)
        let email = "leakprobe-\(UInt32.random(in: 0...UInt32.max))@example.com"
        let phone = uniquePhone()

        // Management: send, wrong code, right code, replay; by key and by JWT.
        #expect(keep(try client.send(email: email)).status == 204)
        let code1 = try #require(p.code(for: email))
        #expect(keep(try client.verify(email: email, code: wrongCode(code1))).status == 400)
        #expect(keep(try client.verify(email: email, code: code1)).status == 204)
        #expect(keep(try client.verify(email: email, code: code1)).status == 400)
        let token = Self.token(scope: "all")
        #expect(keep(try client.http.request("POST", "/api/verification-codes", json: #"{"phone":"\#(phone)"}"#,
                                             headers: [("Authorization", "Bearer \(token)")])).status == 204)
        let code2 = try #require(p.code(for: phone))
        // A code inside an invalid request must not be echoed back in the error.
        let invalid = keep(try client.http.request("POST", "/api/verification-codes/verify",
                                                   json: #"{"phone":"not-a-phone","verificationCode":"\#(code2)"}"#, headers: client.auth))
        #expect(invalid.code == "guard.invalid_input")
        #expect(keep(try client.verify(phone: phone, code: code2)).status == 204)
        // Wrong keys are refused without being repeated.
        #expect(keep(try client.http.request("POST", "/api/verification-codes", json: #"{"phone":"\#(phone)"}"#,
                                             headers: [("Authorization", "Bearer e2e-key-123456-wrong")])).status == 401)

        // Experience: interaction, send, read it back, wrong code, right code, replay.
        var user = PasscodeClient(p)
        #expect(keep(try user.startInteraction()).status == 204)
        let cookie = try #require(user.cookie)
        let sent = keep(try user.experienceSend(type: "email", value: email, event: "Register"))
        let id = try #require(sent.json?["verificationId"] as? String)
        let code3 = try #require(p.code(for: email))
        #expect(keep(try user.http.request("GET", "/api/experience/interaction", headers: user.cookieHeader)).status == 200)
        #expect(keep(try user.experienceVerify(type: "email", value: email, verificationId: id, code: wrongCode(code3))).status == 400)
        #expect(keep(try user.experienceVerify(type: "email", value: email, verificationId: id, code: code3)).status == 200)
        #expect(keep(try user.experienceVerify(type: "email", value: email, verificationId: id, code: code3)).status == 400)

        let metrics = keep(try client.http.request("GET", "/metrics")).text
        #expect(metrics.contains("passcode_codes_sent_total"))
        #expect(await p.stopped() == 0)
        let log = p.log
        #expect(log.contains("\"message delivered\"") || log.contains("message delivered"), "the logs were captured")

        let codes = Set(p.outboxMessages().compactMap { $0["code"] as? String })
        #expect(codes.isSuperset(of: [code1, code2, code3]))
        let secrets: [(String, String)] = [
            ("API key", "e2e-key-123456"), ("send-only API key", "e2e-send-only"), ("server secret", Self.serverSecret),
            ("JWT secret", Self.jwtSecret), ("bearer JWT", token), ("session cookie", cookie),
            ("cookie signature", String(cookie.split(separator: ".").last ?? "")),
        ]
        let places = [("the logs", log), ("/metrics", metrics)] + said.enumerated().map { ("response \($0.offset)", $0.element) }
        for (place, text) in places {
            for code in codes { #expect(!Self.occurs(code, in: text), "a code appears in \(place)") }
            for (what, secret) in secrets where !(place.hasPrefix("response") && what.contains("cookie")) {
                #expect(!text.contains(secret), "the \(what) appears in \(place)")
            }
        }
        // Metric labels are routes, statuses, channels and error codes: never a recipient.
        #expect(!metrics.contains(email) && !metrics.contains(phone))
        #expect(!log.contains(email), "a full email address appears in the logs")
        #expect(!log.contains(phone), "a full phone number appears in the logs")
    }
}
