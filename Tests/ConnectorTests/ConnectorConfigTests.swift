import ConfigCore
import Contracts
import Foundation
import Testing
@testable import ConnectorService

@Suite("Connector configuration")
struct ConnectorConfigTests {
    func load(_ values: [String: String]) throws -> ConnectorConfig { try ConnectorConfig.load(Environment(values)) }

    @Test func defaultsAreOutboxForBothChannelsAndTenSecondBudget() throws {
        let config = try load([:])
        #expect(config.email == .init(primary: .outbox, fallback: nil))
        #expect(config.sms == .init(primary: .outbox, fallback: nil))
        #expect(config.deliveryTimeout == .seconds(10))
        #expect(config.emailFrom == MailAddress("Passcode <no-reply@localhost>"))
        #expect(config.emailFrom.address == "no-reply@localhost")
    }

    @Test func statusNamesEachChannelsProvider() throws {
        let core = try Harness.core(["PASSCODE_EMAIL_PROVIDER": "none", "PASSCODE_DATA_DIR": try TemporaryDirectory().path])
        #expect(core.status() == Connector.Status.Result(email: nil, sms: "outbox"))
    }

    @Test(arguments: [(Channel.email, "Cannot find any available connector for type: Email."),
                      (.sms, "Cannot find any available connector for type: Sms.")])
    func disabledChannelIsConnectorNotFound(channel: Channel, message: String) async throws {
        let core = try Harness.core(["PASSCODE_EMAIL_PROVIDER": "none", "PASSCODE_SMS_PROVIDER": "none"])
        let error = try #require(await Harness.failure(core, Harness.params(channel)))
        #expect(error.code == "connector.not_found")
        #expect(error.status == 501)
        #expect(error.message == message)
    }

    @Test(arguments: [
        (["PASSCODE_EMAIL_PROVIDER": "smtp"], "PASSCODE_SMTP_URL"),
        (["PASSCODE_EMAIL_PROVIDER": "http"], "PASSCODE_EMAIL_HTTP_URL"),
        (["PASSCODE_SMS_PROVIDER": "http"], "PASSCODE_SMS_HTTP_URL"),
        (["PASSCODE_EMAIL_PROVIDER": "sendgrid"], "PASSCODE_SENDGRID_API_KEY"),
        (["PASSCODE_SMS_PROVIDER": "twilio", "PASSCODE_TWILIO_AUTH_TOKEN": "t", "PASSCODE_TWILIO_FROM": "+1"], "PASSCODE_TWILIO_ACCOUNT_SID"),
        (["PASSCODE_SMS_PROVIDER": "twilio", "PASSCODE_TWILIO_ACCOUNT_SID": "AC1", "PASSCODE_TWILIO_FROM": "+1"], "PASSCODE_TWILIO_AUTH_TOKEN"),
        (["PASSCODE_SMS_PROVIDER": "twilio", "PASSCODE_TWILIO_ACCOUNT_SID": "AC1", "PASSCODE_TWILIO_AUTH_TOKEN": "t"], "PASSCODE_TWILIO_FROM"),
        (["PASSCODE_SMS_FALLBACK_PROVIDER": "twilio"], "PASSCODE_TWILIO_ACCOUNT_SID"),
    ])
    func providerWithoutItsSettingsIsConfigError(values: [String: String], variable: String) {
        let error = #expect(throws: ConfigError.self) { try load(values) }
        #expect(error?.variable == variable)
        #expect(ConfigError.exitCode == 78)
    }

    @Test(arguments: [
        (["PASSCODE_EMAIL_PROVIDER": "twilio"], "PASSCODE_EMAIL_PROVIDER"),
        (["PASSCODE_SMS_PROVIDER": "smtp"], "PASSCODE_SMS_PROVIDER"),
        (["PASSCODE_EMAIL_FALLBACK_PROVIDER": "outbox"], "PASSCODE_EMAIL_FALLBACK_PROVIDER"),
        (["PASSCODE_EMAIL_PROVIDER": "none", "PASSCODE_EMAIL_FALLBACK_PROVIDER": "outbox"], "PASSCODE_EMAIL_FALLBACK_PROVIDER"),
        (["PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": "ftp://x"], "PASSCODE_EMAIL_HTTP_URL"),
        (["PASSCODE_EMAIL_PROVIDER": "smtp", "PASSCODE_SMTP_URL": "http://mail"], "PASSCODE_SMTP_URL"),
        (["PASSCODE_EMAIL_PROVIDER": "smtp", "PASSCODE_SMTP_URL": "smtp://mail:99999"], "PASSCODE_SMTP_URL"),
        (["PASSCODE_EMAIL_PROVIDER": "smtp", "PASSCODE_SMTP_URL": "smtp://u:%zz@mail"], "PASSCODE_SMTP_URL"),
        (["PASSCODE_EMAIL_FROM": "not an address"], "PASSCODE_EMAIL_FROM"),
        (["PASSCODE_EMAIL_FROM": "Evil <a@b>\r\nBcc: x@y"], "PASSCODE_EMAIL_FROM"),
        (["PASSCODE_DELIVERY_TIMEOUT": "soon"], "PASSCODE_DELIVERY_TIMEOUT"),
        (["PASSCODE_DELIVERY_TIMEOUT": "0"], "PASSCODE_DELIVERY_TIMEOUT"),
        (["PASSCODE_WEBOTP_DOMAIN": "bad domain #1"], "PASSCODE_WEBOTP_DOMAIN"),
        (["PASSCODE_SMTP_INSECURE": "maybe", "PASSCODE_EMAIL_PROVIDER": "smtp", "PASSCODE_SMTP_URL": "smtp://m"], "PASSCODE_SMTP_INSECURE"),
    ])
    func badValueIsConfigErrorNamingTheVariable(values: [String: String], variable: String) {
        let error = #expect(throws: ConfigError.self) { try load(values) }
        #expect(error?.variable == variable)
    }

    @Test func configErrorNeverEchoesTheSMTPPassword() {
        let error = #expect(throws: ConfigError.self) {
            try load(["PASSCODE_EMAIL_PROVIDER": "smtp", "PASSCODE_SMTP_URL": "smtp://user:hunter2@mail:0"])
        }
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test func smtpURLIsParsedWithPercentDecodedCredentials() throws {
        let config = try load(["PASSCODE_EMAIL_PROVIDER": "smtp", "PASSCODE_SMTP_URL": "smtp://us%40er:p%3Ass%40word@mail.example.com:2525",
                               "PASSCODE_SMTP_INSECURE": "1"])
        #expect(config.smtp == SMTPEndpoint(host: "mail.example.com", port: 2525, implicitTLS: false, user: "us@er",
                                            password: "p:ss@word", insecure: true, caFile: nil))
    }

    @Test(arguments: [("smtps://mail.example.com", "mail.example.com", 465, true), ("smtp://mail.example.com/", "mail.example.com", 587, false),
                      ("smtp://[::1]:25", "::1", 25, false)])
    func smtpURLDefaults(url: String, host: String, port: Int, implicitTLS: Bool) throws {
        let endpoint = try SMTPEndpoint.parse(url)
        #expect(endpoint.host == host)
        #expect(endpoint.port == port)
        #expect(endpoint.implicitTLS == implicitTLS)
        #expect(endpoint.user == nil)
        #expect(endpoint.insecure == false)
    }

    @Test func fractionalDeliveryTimeoutIsAccepted() throws {
        #expect(try load(["PASSCODE_DELIVERY_TIMEOUT": "2.5"]).deliveryTimeout == .milliseconds(2500))
    }

    @Test func fallbackProviderIsRecorded() throws {
        let config = try load(["PASSCODE_EMAIL_PROVIDER": "sendgrid", "PASSCODE_SENDGRID_API_KEY": "k", "PASSCODE_EMAIL_FALLBACK_PROVIDER": "outbox"])
        #expect(config.email == .init(primary: .sendgrid, fallback: .outbox))
        #expect(config.sendGrid?.baseURL.absoluteString == "https://api.sendgrid.com")
    }
}
