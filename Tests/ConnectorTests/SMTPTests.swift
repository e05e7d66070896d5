import Contracts
import Foundation
import Testing
@testable import ConnectorService

/// A message as the aiosmtpd fixture received and Python's `email` package parsed it.
struct ReceivedMail: Decodable {
    var mail_from: String
    var rcpt_tos: [String]
    var login: String?
    var tls: Bool
    var raw: String
    var headers: [String: String]
    var raw_subject: String
    var content_type: String
    var parts: [String: String]
}

enum SMTPFixture {
    enum Security { case plain, startTLS, implicitTLS }

    /// A self-signed certificate (and its key) for `subjectAltName`, made with the openssl CLI.
    static func makeCertificate(in dir: TemporaryDirectory, altNames: String = "IP:127.0.0.1,DNS:localhost") throws -> (cert: String, key: String) {
        let cert = dir.file("cert.pem")
        let key = dir.file("key.pem")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=passcode-test", "-addext", "subjectAltName=\(altNames)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FixtureError(description: "openssl req failed") }
        return (cert, key)
    }

    static func with<T>(_ security: Security = .plain, auth: String? = nil, altNames: String = "IP:127.0.0.1,DNS:localhost",
                        _ body: (_ port: Int, _ certificate: String?, _ received: @escaping @Sendable () -> [ReceivedMail]) async throws -> T)
        async throws -> T {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let mailDir = dir.file("mail")
        try FileManager.default.createDirectory(atPath: mailDir, withIntermediateDirectories: true)
        var arguments = ["--dir", mailDir]
        var certificate: String?
        if security != .plain {
            // openssl runs off the cooperative pool.
            let made: Result<(cert: String, key: String), any Error> = await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: Result { try makeCertificate(in: dir, altNames: altNames) }) }
            }
            let (cert, key) = try made.get()
            certificate = cert
            arguments += ["--cert", cert, "--key", key]
            if security == .implicitTLS { arguments.append("--implicit-tls") }
        }
        if let auth { arguments += ["--auth", auth] }
        let server = try await FixtureProcess.start("smtp_server.py", arguments, stderrPath: dir.file("stderr"))
        defer { server.stop() }
        return try await body(server.port, certificate, {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: mailDir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
            return names.compactMap { name in
                FileManager.default.contents(atPath: mailDir + "/" + name).flatMap { try? JSONDecoder().decode(ReceivedMail.self, from: $0) }
            }
        })
    }

    static func env(_ url: String, _ extra: [String: String] = [:]) -> [String: String] {
        ["PASSCODE_EMAIL_PROVIDER": "smtp", "PASSCODE_SMTP_URL": url, "PASSCODE_DELIVERY_TIMEOUT": "5"].merging(extra) { _, new in new }
    }
}

extension LiveServers {
    @Suite("SMTP against aiosmtpd")
    struct SMTPTests {
        @Test func plainSMTPDeliversAMIMEMessageWithTheCode() async throws {
            try await SMTPFixture.with { port, _, received in
                let core = try Harness.core(SMTPFixture.env("smtp://127.0.0.1:\(port)", ["PASSCODE_EMAIL_FROM": "Acme Login <login@acme.test>"]))
                let result = try await core.deliver(Harness.params(.email, to: "carol@example.com", type: .signIn, code: "051234"))
                #expect(result.provider == "smtp")
                #expect(result.messageId.hasSuffix("@acme.test"))
                let mail = try #require(received().first)
                #expect(received().count == 1)
                #expect(mail.mail_from == "login@acme.test")
                #expect(mail.rcpt_tos == ["carol@example.com"])
                #expect(!mail.tls)
                #expect(mail.headers["From"] == "Acme Login <login@acme.test>")
                #expect(mail.headers["To"] == "carol@example.com")
                #expect(mail.headers["Subject"] == "Your sign-in code")
                #expect(mail.headers["MIME-Version"] == "1.0")
                #expect(mail.headers["Message-ID"] == "<\(result.messageId)>")
                let date = try #require(mail.headers["Date"])
                #expect(date.hasSuffix("+0000"))
                #expect(date.split(separator: " ").count == 6)
                #expect(mail.content_type == "multipart/alternative")
                #expect(mail.parts["text/plain"]?.contains("051234") == true)
                #expect(mail.parts["text/html"]?.contains("051234") == true)
                #expect(mail.raw.contains("charset=UTF-8"))
            }
        }

        @Test func nonASCIISubjectIsAnRFC2047EncodedWord() async throws {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let templates = dir.file("templates.json")
            let subject = "Votre code de connexion à Élan — ✓ très sécurisé, valable dix minutes seulement"
            try #"{"email": {"SignIn": {"fr": {"subject": "\#(subject)", "text": "Code : {{code}} — merci"}}}}"#
                .write(toFile: templates, atomically: true, encoding: .utf8)
            try await SMTPFixture.with { port, _, received in
                let core = try Harness.core(SMTPFixture.env("smtp://127.0.0.1:\(port)", ["PASSCODE_TEMPLATES": templates]))
                _ = try await core.deliver(Harness.params(.email, type: .signIn, code: "112233", locale: "fr-FR"))
                let mail = try #require(received().first)
                #expect(mail.raw_subject.hasPrefix("=?UTF-8?B?"))
                #expect(mail.raw.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 998 })
                #expect(mail.headers["Subject"] == subject)
                #expect(mail.parts["text/plain"] == "Code : 112233 — merci")
            }
        }

        @Test func linesStartingWithADotSurviveDotStuffing() async throws {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let templates = dir.file("templates.json")
            try #"{"email": {"Generic": {"en": {"subject": "dots", "text": "first\n.\n..two\n.hidden {{code}}\nlast"}}}}"#
                .write(toFile: templates, atomically: true, encoding: .utf8)
            try await SMTPFixture.with { port, _, received in
                let core = try Harness.core(SMTPFixture.env("smtp://127.0.0.1:\(port)", ["PASSCODE_TEMPLATES": templates]))
                _ = try await core.deliver(Harness.params(.email, type: .generic, code: "445566"))
                let mail = try #require(received().first)
                #expect(mail.parts["text/plain"]?.replacingOccurrences(of: "\r\n", with: "\n") == "first\n.\n..two\n.hidden 445566\nlast")
            }
        }

        @Test func startTLSIsUsedWhenOfferedWithInsecureVerification() async throws {
            try await SMTPFixture.with(.startTLS) { port, _, received in
                let core = try Harness.core(SMTPFixture.env("smtp://127.0.0.1:\(port)", ["PASSCODE_SMTP_INSECURE": "1"]))
                _ = try await core.deliver(Harness.params(code: "778899"))
                let mail = try #require(received().first)
                #expect(mail.tls)
                #expect(mail.parts["text/plain"]?.contains("778899") == true)
            }
        }

        @Test func selfSignedCertificateFailsVerificationWithoutInsecure() async throws {
            try await SMTPFixture.with(.startTLS) { port, _, received in
                let core = try Harness.core(SMTPFixture.env("smtp://127.0.0.1:\(port)"))
                let started = ContinuousClock.now
                let error = try #require(await Harness.failure(core, Harness.params(code: "909090")))
                #expect(error.code == "connector.general")
                #expect(error.message.contains("certificate"))
                #expect(!error.message.contains("909090"))
                // Permanent: not retried until the budget runs out.
                #expect(ContinuousClock.now - started < .seconds(3))
                #expect(received().isEmpty)
            }
        }

        @Test func trustedCertificateForTheHostVerifies() async throws {
            try await SMTPFixture.with(.startTLS) { port, certificate, received in
                let core = try Harness.core(SMTPFixture.env("smtp://127.0.0.1:\(port)", ["PASSCODE_SMTP_CA_FILE": try #require(certificate)]))
                _ = try await core.deliver(Harness.params())
                #expect(received().first?.tls == true)
            }
        }

        @Test func trustedCertificateForAnotherHostFailsHostnameVerification() async throws {
            try await SMTPFixture.with(.startTLS, altNames: "DNS:mail.other.test") { port, certificate, received in
                let core = try Harness.core(SMTPFixture.env("smtp://127.0.0.1:\(port)", ["PASSCODE_SMTP_CA_FILE": try #require(certificate)]))
                let error = try #require(await Harness.failure(core, Harness.params()))
                #expect(error.code == "connector.general")
                #expect(received().isEmpty)
            }
        }

        @Test func authPlainSendsPercentDecodedCredentials() async throws {
            try await SMTPFixture.with(.startTLS, auth: "mailer:s3cr@t:pw") { port, _, received in
                let core = try Harness.core(SMTPFixture.env("smtp://mailer:s3cr%40t%3Apw@127.0.0.1:\(port)", ["PASSCODE_SMTP_INSECURE": "1"]))
                _ = try await core.deliver(Harness.params(code: "121212"))
                let mail = try #require(received().first)
                #expect(mail.login == "mailer")
                #expect(mail.tls)
            }
        }

        @Test func wrongPasswordIsAPermanentConnectorError() async throws {
            try await SMTPFixture.with(.startTLS, auth: "mailer:right") { port, _, received in
                let core = try Harness.core(SMTPFixture.env("smtp://mailer:wrong@127.0.0.1:\(port)", ["PASSCODE_SMTP_INSECURE": "1"]))
                let error = try #require(await Harness.failure(core, Harness.params()))
                #expect(error.code == "connector.general")
                #expect(error.message.contains("535"))
                #expect(received().isEmpty)
            }
        }

        @Test func credentialsAreNeverSentWithoutTLS() async throws {
            try await SMTPFixture.with(.plain) { port, _, received in
                let core = try Harness.core(SMTPFixture.env("smtp://mailer:pw@127.0.0.1:\(port)"))
                let error = try #require(await Harness.failure(core, Harness.params()))
                #expect(error.code == "connector.general")
                #expect(error.message.contains("TLS"))
                #expect(received().isEmpty)
            }
        }

        @Test func implicitTLSDelivers() async throws {
            try await SMTPFixture.with(.implicitTLS) { port, _, received in
                let core = try Harness.core(SMTPFixture.env("smtps://127.0.0.1:\(port)", ["PASSCODE_SMTP_INSECURE": "1"]))
                _ = try await core.deliver(Harness.params(code: "343434"))
                let mail = try #require(received().first)
                #expect(mail.tls)
                #expect(mail.parts["text/html"]?.contains("343434") == true)
            }
        }

        @Test func recipientThatCouldInjectCommandsIsRefused() async throws {
            try await SMTPFixture.with { port, _, received in
                let core = try Harness.core(SMTPFixture.env("smtp://127.0.0.1:\(port)"))
                let error = try #require(await Harness.failure(core, Harness.params(.email, to: "a@b.c>\r\nRCPT TO:<evil@x.y")))
                #expect(error.code == "connector.general")
                #expect(received().isEmpty)
            }
        }
    }
}

@Suite("SMTP encoding")
struct SMTPEncodingTests {
    @Test func dotStuffingDoublesLeadingDotsAndNormalizesLineEnds() {
        let bytes = SMTPClient.dotStuffed("a\n.\r\n..b\rc")
        #expect(String(decoding: bytes, as: UTF8.self) == "a\r\n..\r\n...b\r\nc\r\n.\r\n")
    }

    @Test func quotedPrintableKeepsLinesShortAndEscapesWhatItMust() {
        let encoded = MIMEMessage.quotedPrintable(String(repeating: "é", count: 40) + " \nx=1 ")
        let lines = encoded.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.count <= 76 })
        #expect(lines.last == "x=3D1=20")
        #expect(encoded.hasPrefix("=C3=A9"))
    }

    @Test func multiLineRepliesAreJoined() {
        #expect(SMTPReply.parse("250-mail.test Hello")! == (250, false, "mail.test Hello"))
        #expect(SMTPReply.parse("250 OK")! == (250, true, "OK"))
        #expect(SMTPReply.parse("354")! == (354, true, ""))
        #expect(SMTPReply.parse("25O nope") == nil)
        #expect(SMTPReply.parse("250x") == nil)
        let reply = SMTPReply(code: 250, lines: ["mail.test", "STARTTLS", "AUTH PLAIN LOGIN", "SIZE 1000"])
        #expect(reply.extensions["AUTH"] == ["PLAIN", "LOGIN"])
        #expect(reply.extensions["STARTTLS"] == [])
    }

    @Test func encodedWordsStayWithin75Characters() {
        let words = MIMEMessage.encodedWords(String(repeating: "✓", count: 60)).components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.count <= 75 && $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") })
    }
}
