import ConfigCore
import Foundation
import Testing

@Suite struct EnvironmentTests {
    @Test func typedGettersUseDefaultsWhenUnsetOrEmpty() throws {
        let env = Environment(["PASSCODE_EMPTY": ""])
        #expect(try env.int("PASSCODE_MISSING", default: 7) == 7)
        #expect(try env.int("PASSCODE_EMPTY", default: 7) == 7)
        #expect(try env.bool("PASSCODE_MISSING", default: true))
        #expect(env.string("PASSCODE_EMPTY", default: "x") == "x")
    }

    @Test(arguments: [("abc", "is not an integer"), ("5", "outside 60...3600"), ("4000", "outside 60...3600"), ("1.5", "is not an integer")])
    func badIntegersNameTheVariableAndTheProblem(_ raw: String, _ problem: String) {
        let env = Environment(["PASSCODE_CODE_TTL": raw])
        #expect {
            _ = try env.int("PASSCODE_CODE_TTL", default: 600, range: 60...3600)
        } throws: { error in
            guard let e = error as? ConfigError else { return false }
            return e.variable == "PASSCODE_CODE_TTL" && e.description.contains(problem)
        }
    }

    @Test func booleansAcceptCommonSpellingsOnly() throws {
        for yes in ["1", "true", "YES", "on"] { #expect(try Environment(["B": yes]).bool("B", default: false)) }
        for no in ["0", "false", "No", "off"] { #expect(try !Environment(["B": no]).bool("B", default: true)) }
        #expect(throws: ConfigError.self) { try Environment(["B": "maybe"]).bool("B", default: false) }
    }

    @Test func choiceRejectsUnknownValues() throws {
        let env = Environment(["PASSCODE_EMAIL_PROVIDER": "pigeon"])
        #expect(throws: ConfigError.self) {
            try env.choice("PASSCODE_EMAIL_PROVIDER", default: "outbox", allowed: ["outbox", "smtp"])
        }
        #expect(try Environment([:]).choice("P", default: "outbox", allowed: ["outbox"]) == "outbox")
    }

    @Test func flagsOverrideTheEnvironmentWhichOverridesTheConfigFile() throws {
        let file = NSTemporaryDirectory() + "passcode-config-\(UUID().uuidString).env"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
            # comment
            PASSCODE_LISTEN=127.0.0.1:1111
            PASSCODE_CODE_TTL = "300"
            PASSCODE_SEND_LIMIT=3
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let env = try Environment.load(
            arguments: ["--listen", "127.0.0.1:3333", "--resend-cooldown=5", "--cookie-secure"],
            environment: ["PASSCODE_CONFIG": file, "PASSCODE_LISTEN": "127.0.0.1:2222", "PASSCODE_SEND_LIMIT": "4"])
        #expect(env["PASSCODE_LISTEN"] == "127.0.0.1:3333")
        #expect(env["PASSCODE_CODE_TTL"] == "300")
        #expect(env["PASSCODE_SEND_LIMIT"] == "4")
        #expect(env["PASSCODE_RESEND_COOLDOWN"] == "5")
        #expect(env["PASSCODE_COOKIE_SECURE"] == "1")
    }

    @Test func unreadableOrMalformedConfigFileIsAConfigError() throws {
        #expect(throws: ConfigError.self) {
            try Environment.load(arguments: [], environment: ["PASSCODE_CONFIG": "/nonexistent/passcode.env"])
        }
        let file = NSTemporaryDirectory() + "passcode-bad-\(UUID().uuidString).env"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "NOT A KEY VALUE LINE\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try Environment.load(arguments: [], environment: ["PASSCODE_CONFIG": file]) }
    }

    @Test func redactedDescriptionHidesSecretsButShowsTheRest() {
        let env = Environment([
            "PASSCODE_API_KEYS": "k1-secret-value", "PASSCODE_SECRET": "s3cr3t-s3cr3t-s3cr3t", "PASSCODE_SMTP_URL": "smtp://u:p@h:25",
            "PASSCODE_TWILIO_AUTH_TOKEN": "tok", "PASSCODE_CODE_TTL": "300", "HOME": "/root",
        ])
        let text = env.redactedDescription()
        for secret in ["k1-secret-value", "s3cr3t", "u:p@h", "tok"] { #expect(!text.contains(secret)) }
        #expect(text.contains("PASSCODE_CODE_TTL=300"))
        #expect(!text.contains("HOME"))
    }

    @Test func dataDirectoryPathsAndCreation() throws {
        let base = NSTemporaryDirectory() + "passcode-dd-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let dir = DataDirectory(Environment(["PASSCODE_DATA_DIR": base + "/nested"]))
        try dir.ensureExists()
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        #expect(dir.verifierSocket.hasSuffix("/verifier.sock"))
        #expect(dir.outbox.hasSuffix("/outbox.jsonl"))
    }

    /// `gateway.address` as the gateway writes it (`HOST:PORT` and a newline), IPv6 hosts included.
    @Test func gatewayAddressFileReadsBack() throws {
        let base = NSTemporaryDirectory() + "passcode-ga-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let dir = DataDirectory(path: base)
        try dir.ensureExists()
        #expect(dir.gatewayAddress() == nil)
        try "127.0.0.1:8080\n".write(toFile: dir.gatewayAddressFile, atomically: true, encoding: .utf8)
        #expect(dir.gatewayAddress()?.host == "127.0.0.1")
        #expect(dir.gatewayAddress()?.port == 8080)
        try "::1:41000\n".write(toFile: dir.gatewayAddressFile, atomically: true, encoding: .utf8)
        #expect(dir.gatewayAddress()?.host == "::1")
        #expect(dir.gatewayAddress()?.port == 41000)
        try "garbage".write(toFile: dir.gatewayAddressFile, atomically: true, encoding: .utf8)
        #expect(dir.gatewayAddress() == nil)
    }
}
