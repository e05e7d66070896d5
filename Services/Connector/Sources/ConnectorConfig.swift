import ConfigCore
import Contracts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The connector's settings (API.md §7), read once at start. A provider selected without what it
/// needs is a `ConfigError` (exit 78) naming the missing variable.
public struct ConnectorConfig: Sendable {
    /// The primary provider of a channel and the optional secondary used while the primary's breaker is open.
    struct Route: Sendable, Equatable {
        var primary: ProviderKind
        var fallback: ProviderKind?
    }

    public var dataDirectory: DataDirectory
    /// Total time for one delivery, retries included (`PASSCODE_DELIVERY_TIMEOUT`, seconds).
    public var deliveryTimeout: Duration
    var email: Route?
    var sms: Route?
    var emailFrom: MailAddress
    var smtp: SMTPEndpoint?
    var emailHTTPURL: URL?
    var smsHTTPURL: URL?
    var httpAuthorization: String?
    /// A PEM bundle the HTTP providers trust instead of the system CA store (`PASSCODE_HTTP_CA_FILE`).
    var httpCAFile: String?
    var twilio: TwilioProvider.Settings?
    var sendGrid: SendGridProvider.Settings?
    var templates: TemplateCatalog
    var webOTPDomain: String?
    var breakerThreshold: Int
    var breakerCoolDown: Duration
    var smtpStepTimeout: Duration

    func route(_ channel: Channel) -> Route? { channel == .email ? email : sms }

    public static func load(_ env: Environment) throws -> ConnectorConfig {
        let email = try loadRoute(env, channel: .email, variable: "PASSCODE_EMAIL_PROVIDER")
        let sms = try loadRoute(env, channel: .sms, variable: "PASSCODE_SMS_PROVIDER")
        func uses(_ kind: ProviderKind, _ channel: Channel) -> Bool {
            let route = channel == .email ? email : sms
            return route?.primary == kind || route?.fallback == kind
        }
        func uses(_ kind: ProviderKind) -> Bool { uses(kind, .email) || uses(kind, .sms) }
        func required(_ name: String, for provider: String) throws -> String {
            guard let value = env[name] else {
                throw ConfigError(variable: name, problem: "is required when the \(provider) provider is selected")
            }
            return value
        }

        var smtp: SMTPEndpoint?
        if uses(.smtp) {
            let raw = try required(SMTPEndpoint.variable, for: "smtp")
            smtp = try SMTPEndpoint.parse(raw, insecure: try env.bool("PASSCODE_SMTP_INSECURE", default: false),
                                          caFile: env["PASSCODE_SMTP_CA_FILE"])
        }
        let emailHTTPURL = uses(.http, .email) ? try httpURL(try required("PASSCODE_EMAIL_HTTP_URL", for: "http email"),
                                                             variable: "PASSCODE_EMAIL_HTTP_URL") : nil
        let smsHTTPURL = uses(.http, .sms) ? try httpURL(try required("PASSCODE_SMS_HTTP_URL", for: "http sms"),
                                                         variable: "PASSCODE_SMS_HTTP_URL") : nil
        var twilio: TwilioProvider.Settings?
        if uses(.twilio) {
            let sid = try required("PASSCODE_TWILIO_ACCOUNT_SID", for: "twilio")
            guard sid.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw ConfigError(variable: "PASSCODE_TWILIO_ACCOUNT_SID", problem: "must be letters and digits")
            }
            let from = env["PASSCODE_TWILIO_FROM"]
            let service = env["PASSCODE_TWILIO_MESSAGING_SERVICE_SID"]
            guard from != nil || service != nil else {
                throw ConfigError(variable: "PASSCODE_TWILIO_FROM",
                                  problem: "PASSCODE_TWILIO_FROM or PASSCODE_TWILIO_MESSAGING_SERVICE_SID is required for twilio")
            }
            twilio = TwilioProvider.Settings(
                baseURL: try httpURL(env.string("PASSCODE_TWILIO_URL", default: "https://api.twilio.com"), variable: "PASSCODE_TWILIO_URL"),
                accountSid: sid, authToken: try required("PASSCODE_TWILIO_AUTH_TOKEN", for: "twilio"), from: from,
                messagingServiceSid: service)
        }
        var sendGrid: SendGridProvider.Settings?
        if uses(.sendgrid) {
            sendGrid = SendGridProvider.Settings(
                baseURL: try httpURL(env.string("PASSCODE_SENDGRID_URL", default: "https://api.sendgrid.com"),
                                     variable: "PASSCODE_SENDGRID_URL"),
                apiKey: try required("PASSCODE_SENDGRID_API_KEY", for: "sendgrid"))
        }
        var webOTPDomain: String?
        if let domain = env["PASSCODE_WEBOTP_DOMAIN"] {
            let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
            let valid = !labels.isEmpty && domain.count <= 253 && labels.allSatisfy { label in
                (1...63).contains(label.count) && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
            guard valid else { throw ConfigError(variable: "PASSCODE_WEBOTP_DOMAIN", problem: "\"\(domain)\" is not a host name") }
            webOTPDomain = domain.lowercased()
        }
        if let authorization = env["PASSCODE_HTTP_AUTHORIZATION"], authorization.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw ConfigError(variable: "PASSCODE_HTTP_AUTHORIZATION", problem: "must be one line")
        }
        return ConnectorConfig(
            dataDirectory: DataDirectory(env),
            deliveryTimeout: try seconds(env, "PASSCODE_DELIVERY_TIMEOUT", default: 10, range: 0.05...300),
            email: email, sms: sms,
            emailFrom: try MailAddress.load(env),
            smtp: smtp, emailHTTPURL: emailHTTPURL, smsHTTPURL: smsHTTPURL,
            httpAuthorization: env["PASSCODE_HTTP_AUTHORIZATION"], httpCAFile: env["PASSCODE_HTTP_CA_FILE"],
            twilio: twilio, sendGrid: sendGrid,
            templates: try TemplateCatalog.load(env),
            webOTPDomain: webOTPDomain,
            breakerThreshold: try env.int("PASSCODE_BREAKER_THRESHOLD", default: 5, range: 1...1000),
            breakerCoolDown: try seconds(env, "PASSCODE_BREAKER_COOLDOWN", default: 30, range: 0.05...3600),
            smtpStepTimeout: try seconds(env, "PASSCODE_SMTP_STEP_TIMEOUT", default: 30, range: 0.05...600))
    }

    static func loadRoute(_ env: Environment, channel: Channel, variable: String) throws -> Route? {
        let allowed = ProviderKind.allowed(for: channel).map(\.rawValue)
        let primary = try env.choice(variable, default: "outbox", allowed: allowed + ["none"])
        let fallbackVariable = "PASSCODE_\(channel.rawValue.uppercased())_FALLBACK_PROVIDER"
        let fallback = try env.choice(fallbackVariable, default: "none", allowed: allowed + ["none"])
        guard let kind = ProviderKind(rawValue: primary) else {
            if fallback != "none" { throw ConfigError(variable: fallbackVariable, problem: "needs a primary provider (\(variable) is none)") }
            return nil
        }
        if fallback == primary { throw ConfigError(variable: fallbackVariable, problem: "must differ from \(variable)") }
        return Route(primary: kind, fallback: ProviderKind(rawValue: fallback))
    }

    static func httpURL(_ raw: String, variable: String) throws -> URL {
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty
        else { throw ConfigError(variable: variable, problem: "is not an http(s) URL") }
        return url
    }

    /// A duration in seconds, fractions allowed.
    static func seconds(_ env: Environment, _ name: String, default fallback: Double, range: ClosedRange<Double>) throws -> Duration {
        var value = fallback
        if let raw = env[name] {
            guard let parsed = Double(raw.trimmingWhitespace()), parsed.isFinite else {
                throw ConfigError(variable: name, problem: "\"\(raw)\" is not a number of seconds")
            }
            value = parsed
        }
        guard range.contains(value) else {
            throw ConfigError(variable: name, problem: "\(value) is outside \(range.lowerBound)...\(range.upperBound) seconds")
        }
        return .milliseconds(Int64((value * 1000).rounded()))
    }
}
