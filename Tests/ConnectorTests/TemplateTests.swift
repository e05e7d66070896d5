import ConfigCore
import Contracts
import Foundation
import Testing
@testable import ConnectorService

@Suite("Templates")
struct TemplateTests {
    static let operatorFile = #"""
    {
      "values": { "appName": "Acme <Beta> & Co" },
      "email": {
        "SignIn": {
          "en": { "subject": "{{appName}} sign-in", "text": "Hi {{to}}, code {{code}}{{nope}}.", "html": "<p>{{appName}}: <b>{{ code }}</b></p>" },
          "fr": { "subject": "Connexion {{appName}}", "text": "Votre code : {{code}}" },
          "fr-CA": { "subject": "Connexion (CA)", "text": "Code québécois : {{code}}" }
        }
      },
      "sms": { "Generic": { "en": { "text": "{{appName}} code {{code}}\n" } } }
    }
    """#

    func catalog(_ json: String = operatorFile) throws -> TemplateCatalog {
        try TemplateCatalog.builtIn.overlaid(withFile: Data(json.utf8))
    }

    func render(_ catalog: TemplateCatalog, _ channel: Channel = .email, type: TemplateType = .signIn, locale: String? = nil,
                code: String = "123456", webOTP: String? = nil) throws -> RenderedMessage {
        try catalog.render(Harness.params(channel, type: type, code: code, locale: locale), webOTPDomain: webOTP)
    }

    @Test(arguments: [
        (TemplateType.signIn, "Your sign-in code"), (.register, "Your registration code"),
        (.forgotPassword, "Your password reset code"), (.generic, "Your verification code"),
    ])
    func builtInEmailTemplateDependsOnTheType(type: TemplateType, subject: String) throws {
        let message = try render(.builtIn, type: type)
        #expect(message.subject == subject)
        #expect(message.text.contains("123456"))
        #expect(message.html?.contains("123456") == true)
    }

    @Test func missingTypeFallsBackToGeneric() throws {
        let onlyGeneric = TemplateCatalog(defaultLocale: "en", values: [:], entries: [
            .sms: ["Generic": ["en": MessageTemplate(subject: nil, text: "generic {{code}}", html: nil)]],
        ])
        #expect(try render(onlyGeneric, .sms, type: .register).text == "generic 123456")
    }

    @Test func operatorTemplateOverridesOneTypeAndKeepsOtherDefaults() throws {
        let catalog = try catalog()
        #expect(try render(catalog, type: .signIn).subject == "Acme <Beta> & Co sign-in")
        #expect(try render(catalog, type: .register).subject == "Your registration code")
    }

    @Test(arguments: [("fr-CA", "Connexion (CA)"), ("fr-FR", "Connexion Acme <Beta> & Co"), ("FR_be", "Connexion Acme <Beta> & Co"),
                      ("de", "Acme <Beta> & Co sign-in"), (nil, "Acme <Beta> & Co sign-in")])
    func localeFallsBackToLanguageThenDefault(locale: String?, subject: String) throws {
        #expect(try render(catalog(), locale: locale).subject == subject)
    }

    /// The byte path for ASCII tags gives what the general string path gives, on random ASCII
    /// text (letters of both cases, `_`, `-`, digits, every kind of white space, punctuation).
    @Test func asciiLocalesNormaliseAsTheGeneralPathDoes() {
        let pool = Array("aZ_-09 \t\n\r\u{0B}\u{0C}.@Ab")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let text = String((0..<Int.random(in: 0...12, using: &generator)).map { _ in pool.randomElement(using: &generator)! })
            #expect(TemplateCatalog.normalizedLocale(text) == text.trimmingWhitespace().replacing("_", with: "-").lowercased(),
                    "\(text.debugDescription)")
        }
        #expect(TemplateCatalog.normalizedLocale(" FR_ca\n") == "fr-ca")
        #expect(TemplateCatalog.normalizedLocale("Ü_X") == "ü-x")
    }

    /// An operator's `values` cannot replace a message's own keys: `{{code}}` is always the code.
    @Test func messageKeysWinOverOperatorValuesOfTheSameName() throws {
        let file = #"{ "values": { "code": "000000", "to": "x", "type": "y", "locale": "z", "app": "Acme" },"#
            + #" "sms": { "Generic": { "en": { "text": "{{app}} {{code}} {{to}} {{type}} {{locale}}" } } } }"#
        let message = try render(catalog(file), .sms, type: .generic, locale: "en", code: "987654")
        #expect(message.text == "Acme 987654 14155550100 Generic en")
    }

    @Test func placeholdersAreFilledAndUnknownOnesRenderEmpty() throws {
        let message = try render(catalog(), code: "987654")
        #expect(message.text == "Hi alice@example.com, code 987654.")
    }

    @Test func valuesAreHTMLEscapedInHTMLOnly() throws {
        let message = try render(catalog())
        #expect(message.html == "<p>Acme &lt;Beta&gt; &amp; Co: <b>123456</b></p>")
        #expect(message.subject == "Acme <Beta> & Co sign-in")
    }

    @Test func htmlIsMadeFromEscapedTextWhenAbsent() throws {
        let json = #"{"email": {"Generic": {"en": {"subject": "s", "text": "a < b\n{{code}}"}}}}"#
        let message = try render(catalog(json), type: .generic)
        #expect(message.html == "<p>a &lt; b<br>\n123456</p>\n")
    }

    @Test func smsEndsWithWebOTPLineWhenADomainIsConfigured() throws {
        let message = try render(catalog(), .sms, type: .generic, code: "747723", webOTP: "example.com")
        #expect(message.text == "Acme <Beta> & Co code 747723\n\n@example.com #747723")
        #expect(try render(catalog(), .sms, type: .generic).text == "Acme <Beta> & Co code 123456\n")
    }

    @Test func webOTPDomainComesFromTheEnvironment() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let core = try Harness.core(["PASSCODE_DATA_DIR": dir.path, "PASSCODE_WEBOTP_DOMAIN": "Login.Example.com"])
        _ = try await core.deliver(Harness.params(.sms, code: "246810"))
        let line = try String(contentsOfFile: dir.file("outbox.jsonl"), encoding: .utf8)
        #expect(line.contains(#"\n\n@login.example.com #246810""#))
    }

    @Test func noTemplateInAnyFallbackIsTemplateNotFound() throws {
        let german = TemplateCatalog(defaultLocale: "de", values: [:], entries: [
            .email: ["SignIn": ["fr": MessageTemplate(subject: "s", text: "t", html: nil)]],
        ])
        #expect(throws: ServiceError.templateNotFound("Register")) { try render(german, type: .register, locale: "fr") }
        #expect(throws: ServiceError.templateNotFound("SignIn")) { try render(german, .sms, type: .signIn) }
    }

    @Test(arguments: [
        "not json", "[]", #"{"email": {"SignIn": {"en": {"text": "no subject"}}}}"#,
        #"{"email": {"SignIn": {"en us": {"subject": "s", "text": "t"}}}}"#, #"{"sms": {"Generic": {"en": {"text": ""}}}}"#,
        #"{"email": {"SignIn": {"en": {"subject": "a\nb", "text": "t"}}}}"#, #"{"defaultLocale": "??"}"#,
        #"{"sms": {"Generic": {"en": {"text": 5}}}}"#,
        #"{"defaultLocale": "it", "email": {"Generic": {"it": {"subject": "s", "text": "t"}}}}"#,
    ])
    func badTemplatesFileIsConfigError(json: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("templates.json")
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: ConfigError.self) { try ConnectorConfig.load(Environment(["PASSCODE_TEMPLATES": path])) }
        #expect(error?.variable == "PASSCODE_TEMPLATES")
    }

    @Test func unreadableTemplatesFileIsConfigError() {
        #expect(throws: ConfigError.self) { try ConnectorConfig.load(Environment(["PASSCODE_TEMPLATES": "/nonexistent/templates.json"])) }
    }

    @Test func exampleTemplatesFileLoads() throws {
        let path = FixtureProcess.fixturesDirectory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/local/templates.example.json").path
        let config = try ConnectorConfig.load(Environment(["PASSCODE_TEMPLATES": path]))
        let message = try config.templates.render(Harness.params(.email, type: .signIn, locale: "fr"), webOTPDomain: nil)
        #expect(message.text.contains("482913"))
    }

    /// The byte-level fill (issue 7) against what the Character-level one answered: text in any
    /// script around and between placeholders, keys in other scripts, odd brace runs.
    @Test func fillKeepsTextInAnyScriptAndOddBraces() {
        let values = ["code": "482913", "név": "Ádám", "a.b-c_1": "x"]
        #expect(MessageTemplate.fill("Kód: {{code}} — 验证码{{ code }}🙂{{code}}", values: values, escapeHTML: false)
            == "Kód: 482913 — 验证码482913🙂482913")
        #expect(MessageTemplate.fill("Szia {{ név }}! {{a.b-c_1}}{{a.b-c_1}}", values: values, escapeHTML: false) == "Szia Ádám! xx")
        #expect(MessageTemplate.fill("{{}} {{   }} {{{code}}} {{unknown}}|", values: values, escapeHTML: false)
            == "{{}} {{   }} {{{code}}} |")
        #expect(MessageTemplate.fill("{{code}}", values: values, escapeHTML: false) == "482913")
        #expect(MessageTemplate.fill("}}{{", values: values, escapeHTML: false) == "}}{{")
        #expect(MessageTemplate.fill("", values: values, escapeHTML: false) == "")
    }

    @Test func htmlEscapingIsByteExactAroundMultibyteText() {
        #expect(MessageTemplate.htmlEscaped("<b>\"Ünïcødé\" & 'ok'</b> 🙂") == "&lt;b&gt;&quot;Ünïcødé&quot; &amp; &#39;ok&#39;&lt;/b&gt; 🙂")
        #expect(MessageTemplate.fill("<p>{{v}}</p>", values: ["v": "<é&>"], escapeHTML: true) == "<p>&lt;é&amp;&gt;</p>")
        #expect(MessageTemplate.htmlParagraph("a<b\nc\r\nd") == "<p>a&lt;b<br>\nc\r<br>\nd</p>\n")
    }

    @Test func unterminatedAndNonPlaceholderBracesStayAsWritten() {
        #expect(MessageTemplate.fill("a {{code}} {{ not a key }} {{code", values: ["code": "1"], escapeHTML: false)
            == "a 1 {{ not a key }} {{code")
    }
}
