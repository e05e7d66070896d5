import ConfigCore
import Contracts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LogCore

/// The connector service: renders the message for a `deliver` request, sends it through the channel's
/// provider with retries inside the delivery budget, fails over to the secondary provider while the
/// primary's circuit is open, and answers repeated idempotency keys with the first result.
/// Throws only `ServiceError`s from the Contracts catalogue.
public final class ConnectorCore: Sendable {
    struct Lane: Sendable {
        var provider: any DeliveryProvider
        var breaker: CircuitBreaker
    }

    struct ChannelLanes: Sendable {
        var primary: Lane
        var fallback: Lane?
    }

    let config: ConnectorConfig
    let logger: Logger
    let lanes: [Channel: ChannelLanes]
    let retry: RetryPolicy
    let idempotency = IdempotencyCache<Connector.Deliver.Result>()

    public convenience init(config: ConnectorConfig, logger: Logger) throws {
        try self.init(config: config, logger: logger, retry: RetryPolicy(budget: config.deliveryTimeout))
    }

    init(config: ConnectorConfig, logger: Logger, retry: RetryPolicy) throws {
        self.config = config
        self.logger = logger
        self.retry = retry
        var lanes: [Channel: ChannelLanes] = [:]
        for channel in Channel.allCases {
            guard let route = config.route(channel) else { continue }
            func lane(_ kind: ProviderKind) throws -> Lane {
                Lane(provider: try Self.makeProvider(kind, channel: channel, config: config, logger: logger),
                     breaker: CircuitBreaker(threshold: config.breakerThreshold, coolDown: config.breakerCoolDown))
            }
            lanes[channel] = ChannelLanes(primary: try lane(route.primary), fallback: try route.fallback.map(lane))
        }
        self.lanes = lanes
        if lanes.values.contains(where: { $0.primary.provider.name == "outbox" || $0.fallback?.provider.name == "outbox" }) {
            do {
                try config.dataDirectory.ensureExists()
            } catch {
                throw ConfigError(variable: "PASSCODE_DATA_DIR", problem: "cannot create \(config.dataDirectory.path) for the outbox")
            }
        }
    }

    static func makeProvider(_ kind: ProviderKind, channel: Channel, config: ConnectorConfig, logger: Logger) throws -> any DeliveryProvider {
        func missing(_ variable: String) -> ConfigError { ConfigError(variable: variable, problem: "is required by the \(kind.rawValue) provider") }
        switch kind {
        case .outbox:
            return OutboxProvider(path: config.dataDirectory.outbox, logger: logger)
        case .smtp:
            guard let endpoint = config.smtp else { throw missing(SMTPEndpoint.variable) }
            return SMTPProvider(endpoint: endpoint, from: config.emailFrom, stepTimeout: config.smtpStepTimeout)
        case .http:
            let variable = channel == .email ? "PASSCODE_EMAIL_HTTP_URL" : "PASSCODE_SMS_HTTP_URL"
            guard let url = channel == .email ? config.emailHTTPURL : config.smsHTTPURL else { throw missing(variable) }
            return WebhookProvider(url: url, authorization: config.httpAuthorization, caFile: config.httpCAFile)
        case .twilio:
            guard let settings = config.twilio else { throw missing("PASSCODE_TWILIO_ACCOUNT_SID") }
            return TwilioProvider(settings: settings, transport: HTTPTransport(providerName: "twilio", caFile: config.httpCAFile))
        case .sendgrid:
            guard let settings = config.sendGrid else { throw missing("PASSCODE_SENDGRID_API_KEY") }
            return SendGridProvider(settings: settings, from: config.emailFrom,
                                    transport: HTTPTransport(providerName: "sendgrid", caFile: config.httpCAFile))
        }
    }

    /// The configured primary provider per channel; nil for a disabled channel.
    public func status() -> Connector.Status.Result {
        Connector.Status.Result(email: lanes[.email]?.primary.provider.name, sms: lanes[.sms]?.primary.provider.name)
    }

    /// Delivers one code. The same `idempotencyKey` (also concurrently) sends once and returns the first result.
    /// The delivery runs on `executor` when given (the RPC connection's loop).
    public func deliver(_ p: Connector.Deliver.Params, on executor: (any TaskExecutor)? = nil) async throws(ServiceError) -> Connector.Deliver.Result {
        guard let channelLanes = lanes[p.channel] else { throw ServiceError.connectorNotFound(p.channel) }
        // Render first: a missing template fails fast and is never remembered as a delivery.
        let message = try config.templates.render(p, webOTPDomain: config.webOTPDomain)
        do {
            return try await idempotency.value(for: p.idempotencyKey, on: executor) { [self] () async throws(ServiceError) in
                try await send(message, lanes: channelLanes)
            }
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError.connectorGeneral("delivery failed")
        }
    }

    func send(_ message: RenderedMessage, lanes: ChannelLanes) async throws(ServiceError) -> Connector.Deliver.Result {
        let lane: Lane
        if lanes.primary.breaker.admit() {
            lane = lanes.primary
        } else if let fallback = lanes.fallback, fallback.breaker.admit() {
            lane = fallback
            logger.warning("primary provider circuit open, using fallback", [
                "channel": message.channel.rawValue, "primary": lanes.primary.provider.name, "fallback": fallback.provider.name,
            ])
        } else {
            throw ServiceError.connectorGeneral("\(lanes.primary.provider.name) is temporarily unavailable")
        }
        let started = ContinuousClock.now
        let deadline = started + retry.budget
        let provider = lane.provider
        do {
            let (messageId, attempts) = try await retry.run(deadline: deadline) { deadline in
                try await provider.send(message, deadline: deadline)
            }
            lane.breaker.recordSuccess()
            // Checked first: the fields cost more than the rest of an outbox delivery (issue 7).
            if logger.isEnabled(.info) {
                logger.info("message delivered", [
                    "channel": message.channel.rawValue, "provider": provider.name, "to": Redact.identifier(message.to),
                    "type": message.type.rawValue, "messageId": messageId, "attempts": String(attempts),
                    "ms": String(Int((ContinuousClock.now - started).inSeconds * 1000)),
                ])
            }
            return Connector.Deliver.Result(messageId: messageId, provider: provider.name)
        } catch {
            // A refusal proves the provider is up; only unreachable or overloaded providers trip the breaker.
            if error.isRetryable { lane.breaker.recordFailure() } else { lane.breaker.recordSuccess() }
            let reason = Self.scrub(error.reason, code: message.code)
            logger.warning("delivery failed", [
                "channel": message.channel.rawValue, "provider": provider.name, "to": Redact.identifier(message.to),
                "type": message.type.rawValue, "reason": reason,
            ])
            switch error {
            case .rateLimited(let retryAfter):
                throw ServiceError.connectorRateLimitExceeded(retryAfter: retryAfter.map { Int($0.inSeconds.rounded(.up)) })
            case .transient, .permanent:
                throw ServiceError.connectorGeneral(reason)
            }
        }
    }

    /// Belt and braces: a reason never carries the code, whatever a provider did.
    static func scrub(_ reason: String, code: String) -> String {
        guard !code.isEmpty else { return reason }
        return reason.replacing(code, with: "***")
    }
}
