import Foundation
import Testing

/// `passcode send` / `verify` / `up --help`, run as an operator would.
@Suite(.passcode()) struct OperatorCommandTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try PasscodeProcess.runCommand(arguments, environment: ["PASSCODE_API_KEYS": nil])
    }

    @Test func sendAndVerifyCommandsTalkToARunningGateway() throws {
        let p = try Running.current
        let email = uniqueEmail("cli")
        let common = ["--url", p.baseURL, "--api-key", "e2e-key-123456", "--email", email]
        let sent = try Self.run(["send"] + common)
        #expect(sent.status == 0)
        #expect(sent.output.contains("sent"))
        let code = try #require(p.code(for: email))
        let wrong = try Self.run(["verify"] + common + ["--code", wrongCode(code)])
        #expect(wrong.status == 1)
        #expect(wrong.output.contains("verification_code.code_mismatch"))
        let verified = try Self.run(["verify"] + common + ["--code", code])
        #expect(verified.status == 0)
        #expect(verified.output.contains("verified"))
    }

    @Test func upHelpExplainsEveryVariableOfTheSpec() throws {
        let help = try Self.run(["up", "--help"])
        #expect(help.status == 0)
        let variables = [
            "PASSCODE_LISTEN", "PASSCODE_DATA_DIR", "PASSCODE_STORE", "PASSCODE_EMAIL_PROVIDER", "PASSCODE_SMS_PROVIDER",
            "PASSCODE_API_KEYS", "PASSCODE_CODE_TTL", "PASSCODE_MAX_ATTEMPTS", "PASSCODE_CODE_LENGTH", "PASSCODE_SEND_LIMIT",
            "PASSCODE_SEND_WINDOW", "PASSCODE_LOCKOUT_ATTEMPTS", "PASSCODE_LOCKOUT_MINUTES", "PASSCODE_LOCKOUT_WINDOW",
            "PASSCODE_IP_SEND_LIMIT", "PASSCODE_IP_SEND_WINDOW", "PASSCODE_RESEND_COOLDOWN", "PASSCODE_JWT_SECRET",
            "PASSCODE_JWT_AUDIENCE", "PASSCODE_COOKIE_SECURE", "PASSCODE_SECRET", "PASSCODE_SMTP_URL", "PASSCODE_SMTP_INSECURE",
            "PASSCODE_EMAIL_FROM", "PASSCODE_EMAIL_HTTP_URL", "PASSCODE_SMS_HTTP_URL", "PASSCODE_HTTP_AUTHORIZATION", "PASSCODE_HTTP_CA_FILE",
            "PASSCODE_TWILIO_URL", "PASSCODE_TWILIO_ACCOUNT_SID", "PASSCODE_TWILIO_AUTH_TOKEN", "PASSCODE_TWILIO_FROM",
            "PASSCODE_TWILIO_MESSAGING_SERVICE_SID", "PASSCODE_SENDGRID_URL", "PASSCODE_SENDGRID_API_KEY", "PASSCODE_TEMPLATES",
            "PASSCODE_TRUSTED_PROXIES", "PASSCODE_SQLITE_CACHE_MIB", "PASSCODE_SQLITE_SHARED",
            "PASSCODE_SCHED_BATCH",
        ]
        for variable in variables { #expect(help.output.contains(variable), "missing \(variable)") }
        let general = try Self.run(["--help"])
        #expect(general.output.contains("up") && general.output.contains("send") && general.output.contains("verify"))
    }

    @Test func unknownCommandExits64() throws {
        #expect(try Self.run(["frobnicate"]).status == 64)
    }
}
