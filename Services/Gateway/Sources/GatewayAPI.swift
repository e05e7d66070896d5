import Contracts
import CryptoCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LogCore
import Synchronization

/// The gateway's behaviour: routing, the check order of API.md §6, caller identity, body
/// validation, orchestration of the verifier and connector, and error mapping — in one place,
/// independent of sockets so tests can drive it directly.
public final class GatewayAPI: Sendable {
    let config: GatewayConfig
    let authenticator: ManagementAuthenticator
    let cookie: InteractionCookie
    let addresses: ClientAddressResolver
    public let metrics: GatewayMetrics
    let logger: Logger
    private let requestCounter = Atomic<UInt64>(0)
    private let requestPrefix = SecureRandom.identifier(length: 6)

    public init(config: GatewayConfig, secrets: [[UInt8]], logger: Logger, metrics: GatewayMetrics = GatewayMetrics()) {
        self.config = config
        self.authenticator = ManagementAuthenticator(config: config)
        self.cookie = InteractionCookie(secrets: secrets, secure: config.cookieSecure, maxAge: config.interactionLifetime)
        self.addresses = ClientAddressResolver(trusted: config.trustedProxies)
        self.metrics = metrics
        self.logger = logger
    }

    public func handle(_ request: GatewayRequest, backends: Backends) async -> GatewayResponse {
        let started = ContinuousClock.now
        let rid = requestID(request.header("x-request-id"))
        let route = GatewayRoute.match(path: request.path)
        var response: GatewayResponse
        do {
            response = try await dispatch(request, route: route, rid: rid, backends: backends)
        } catch {
            response = Self.errorResponse(error)
        }
        response.headers.append(("X-Request-Id", rid))
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.recordRequest(route: route, status: response.status, seconds: seconds)
        if let route, route.rawValue.hasPrefix("/api/"), logger.isEnabled(.info) {
            logger.info("request", [
                "method": request.method, "route": route.rawValue, "status": String(response.status),
                "duration_ms": String(Double(Int(seconds * 1_000_000)) / 1000), "rid": rid,
                "client_ip": clientIP(request),
            ])
        }
        return response
    }

    // MARK: - Dispatch in the order of API.md §6

    private func dispatch(_ request: GatewayRequest, route: GatewayRoute?, rid: String,
                          backends: Backends) async throws(ServiceError) -> GatewayResponse {
        guard let route else { throw .routeNotFound }
        let method = request.method == "HEAD" && route.method == "GET" ? "GET" : request.method
        guard method == route.method else {
            return Self.errorResponse(.methodNotAllowed, extraHeaders: [("Allow", route.allowed.joined(separator: ", "))])
        }
        switch route {
        case .healthz:
            return .json(200, #"{"status":"ok"}"#)
        case .readyz:
            return await readiness(backends: backends, rid: rid)
        case .metrics:
            return GatewayResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                                   body: Array(metrics.render().utf8))
        case .openapi:
            return GatewayResponse(status: 200, headers: [("Content-Type", "application/json")], body: OpenAPIDocument.bytes)
        case .managementSend:
            try authenticator.authorize(authorization: request.header("authorization"), needs: .send)
            let body = try parseBody(request)
            return try await managementSend(identifier: try body.managementIdentifier(), rid: rid, backends: backends)
        case .managementVerify:
            try authenticator.authorize(authorization: request.header("authorization"), needs: .verify)
            let body = try ManagementVerifyBody(try parseBody(request))
            return try await managementVerify(body, rid: rid, backends: backends)
        case .experience:
            let body = try parseBody(request)
            return try await startExperience(event: try body.event("interactionEvent"), request: request, rid: rid, backends: backends)
        case .experienceSend:
            let interactionId = try session(request)
            let body = try ExperienceSendBody(try parseBody(request))
            return try await experienceSend(body, interactionId: interactionId, clientIP: clientIP(request), rid: rid, backends: backends)
        case .experienceVerify:
            let interactionId = try session(request)
            let body = try ExperienceVerifyBody(try parseBody(request))
            return try await experienceVerify(body, interactionId: interactionId, rid: rid, backends: backends)
        case .interaction:
            let interactionId = try session(request)
            let view = try await backends.verifier.invoke(
                Verifier.InteractionGet.self, .init(interactionId: interactionId), rid: rid)
            return .json(200, Self.encode(InteractionBody(view)))
        }
    }

    private func parseBody(_ request: GatewayRequest) throws(ServiceError) -> JSONBody {
        if request.bodyTooLarge { throw .payloadTooLarge }
        return try JSONBody(request.body)
    }

    /// The interaction id from a valid, unexpired, correctly signed `_interaction` cookie.
    private func session(_ request: GatewayRequest) throws(ServiceError) -> String {
        guard let value = request.cookie(InteractionCookie.name),
              let id = cookie.interactionId(from: value, now: Date().timeIntervalSince1970) else { throw .sessionNotFound }
        return id
    }

    func clientIP(_ request: GatewayRequest) -> String {
        addresses.clientIP(peer: request.peer, forwardedFor: request.headers(named: "x-forwarded-for"))
    }

    // MARK: - Management API (API.md §2)

    private func managementSend(identifier: Identifier, rid: String, backends: Backends) async throws(ServiceError) -> GatewayResponse {
        try await send(scope: .generic, identifier: identifier, templateType: .generic, clientIP: nil, rid: rid, backends: backends)
        return .noContent
    }

    private func managementVerify(_ body: ManagementVerifyBody, rid: String, backends: Backends) async throws(ServiceError) -> GatewayResponse {
        do {
            _ = try await backends.verifier.invoke(
                Verifier.CodeVerify.self, .init(scope: .generic, identifier: body.identifier, verificationId: nil, code: body.code), rid: rid)
        } catch {
            recordVerifyFailure(error)
            throw error
        }
        metrics.verified(api: "management")
        return .noContent
    }

    // MARK: - Experience API (API.md §3)

    private func startExperience(event: InteractionEvent, request: GatewayRequest, rid: String,
                                 backends: Backends) async throws(ServiceError) -> GatewayResponse {
        var handle: InteractionHandle?
        if let value = request.cookie(InteractionCookie.name),
           let id = cookie.interactionId(from: value, now: Date().timeIntervalSince1970) {
            do {
                handle = try await backends.verifier.invoke(Verifier.InteractionReset.self, .init(interactionId: id, event: event), rid: rid)
            } catch where error.code == ServiceError.sessionNotFound.code {
                handle = nil
            }
        }
        if handle == nil {
            handle = try await backends.verifier.invoke(Verifier.InteractionStart.self, .init(event: event), rid: rid)
        }
        guard let handle else { throw .internalError }
        return GatewayResponse(status: 204, headers: [("Set-Cookie", cookie.setCookieHeader(for: handle))])
    }

    private func experienceSend(_ body: ExperienceSendBody, interactionId: String, clientIP: String, rid: String,
                                backends: Backends) async throws(ServiceError) -> GatewayResponse {
        let verificationId = try await send(
            scope: .interaction(interactionId), identifier: body.identifier, templateType: TemplateType(body.event),
            clientIP: clientIP, rid: rid, backends: backends)
        return .json(200, #"{"verificationId":\#(JSONText.quoted(verificationId))}"#)
    }

    private func experienceVerify(_ body: ExperienceVerifyBody, interactionId: String, rid: String,
                                  backends: Backends) async throws(ServiceError) -> GatewayResponse {
        let result: Verifier.CodeVerify.Result
        do {
            result = try await backends.verifier.invoke(
                Verifier.CodeVerify.self,
                .init(scope: .interaction(interactionId), identifier: body.identifier, verificationId: body.verificationId, code: body.code),
                rid: rid)
        } catch {
            recordVerifyFailure(error)
            throw error
        }
        metrics.verified(api: "experience")
        return .json(200, #"{"verificationId":\#(JSONText.quoted(result.verificationId))}"#)
    }

    // MARK: - Orchestration

    /// `code.issue` (takes a rate slot) → `connector.deliver` (idempotency key = verification id);
    /// on a failed delivery `code.releaseSlot` gives the slot back and the record stays (as in Logto).
    @discardableResult
    private func send(scope: CodeScope, identifier: Identifier, templateType: TemplateType, clientIP: String?, rid: String,
                      backends: Backends) async throws(ServiceError) -> String {
        let issued = try await backends.verifier.invoke(
            Verifier.CodeIssue.self, .init(scope: scope, identifier: identifier, templateType: templateType, clientIP: clientIP), rid: rid)
        let channel = identifier.type.channel
        do {
            _ = try await backends.connector.invoke(
                Connector.Deliver.self,
                .init(channel: channel, to: identifier.value, templateType: templateType, payload: .init(code: issued.code),
                      clientIP: clientIP, idempotencyKey: issued.verificationId),
                rid: rid)
        } catch {
            metrics.deliveryFailed(code: error.code)
            if error.code == "service.unavailable" { metrics.rpcError(backend: "connector") }
            logger.warning("delivery failed", ["rid": rid, "channel": channel.rawValue, "to": Redact.identifier(identifier.value),
                                               "error": error.code])
            _ = try? await backends.verifier.invoke(
                Verifier.CodeReleaseSlot.self, .init(verificationId: issued.verificationId), rid: rid)
            throw error
        }
        metrics.codeSent(channel: channel.rawValue)
        return issued.verificationId
    }

    private func recordVerifyFailure(_ error: ServiceError) {
        metrics.verifyFailed(code: error.code)
        if error.code == "service.unavailable" { metrics.rpcError(backend: "verifier") }
    }

    private func readiness(backends: Backends, rid: String) async -> GatewayResponse {
        async let verifier: Bool = (try? await backends.verifier.invoke(Verifier.Health.self, Empty(), rid: rid))?.storeReachable ?? false
        async let connector: Bool = (try? await backends.connector.invoke(Connector.Status.self, Empty(), rid: rid)) != nil
        let (v, c) = await (verifier, connector)
        metrics.backend("verifier", up: v)
        metrics.backend("connector", up: c)
        let body = #"{"status":"\#(v && c ? "ready" : "unavailable")","verifier":\#(v),"connector":\#(c)}"#
        return v && c ? .json(200, body) : .json(503, body, headers: [("Retry-After", "1")])
    }

    // MARK: - Responses

    /// `{"code","message","data"?,"details"?}` with the catalogue's status, and `Retry-After` when known.
    static func errorResponse(_ error: ServiceError, extraHeaders: [(name: String, value: String)] = []) -> GatewayResponse {
        var headers = extraHeaders
        if let retry = error.retryAfter { headers.append(("Retry-After", String(retry))) }
        return .json(error.status, errorBody(error), headers: headers)
    }

    /// The body written straight into bytes (a wrong guess answers one of these, so it is on the
    /// hot path); only `data` (rare: `retryAfter`) goes through `JSONEncoder`.
    static func errorBody(_ error: ServiceError) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(48 + error.code.utf8.count + error.message.utf8.count + (error.details?.utf8.count ?? 0))
        body.append(contentsOf: #"{"code":"#.utf8)
        JSONValue.serializeString(error.code, into: &body)
        body.append(contentsOf: #","message":"#.utf8)
        JSONValue.serializeString(error.message, into: &body)
        if let data = error.data {
            body.append(contentsOf: #","data":"#.utf8)
            body.append(contentsOf: encode(data).utf8)
        }
        if let details = error.details {
            body.append(contentsOf: #","details":"#.utf8)
            JSONValue.serializeString(details, into: &body)
        }
        body.append(UInt8(ascii: "}"))
        return body
    }

    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    private func requestID(_ incoming: String?) -> String {
        if let incoming, !incoming.isEmpty, incoming.utf8.count <= 128,
           incoming.utf8.allSatisfy({ $0 == 45 || $0 == 46 || $0 == 95 || ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }) {
            return incoming
        }
        let n = requestCounter.wrappingAdd(1, ordering: .relaxed).newValue
        return "\(requestPrefix)-\(n)"
    }
}

/// `GET /api/experience/interaction`: never a code.
struct InteractionBody: Encodable {
    let interactionEvent: InteractionEvent
    let verificationRecords: [VerificationRecordView]

    init(_ view: InteractionView) {
        interactionEvent = view.interactionEvent
        verificationRecords = view.verificationRecords
    }
}
