/// A type with a hand-written conversion to and from `JSONValue`, equivalent to its `Codable`
/// form (same keys, optionals omitted when nil, unknown keys ignored). The RPC layer uses it for
/// the hot methods and falls back to `Codable` when `init?(jsonValue:)` answers nil.
public protocol JSONValueConvertible {
    var jsonValue: JSONValue { get }
    init?(jsonValue: JSONValue)
    /// Appends the JSON text of `jsonValue`; hot types write it directly (JSONValueConvertible+Writing.swift).
    func writeJSON(into out: inout [UInt8])
}

extension JSONValue {
    /// An object from the non-nil pairs.
    static func object(_ pairs: [(String, JSONValue?)]) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        for (key, value) in pairs { if let value { fields[key] = value } }
        return .object(fields)
    }

    /// A required string field.
    func string(_ key: String) -> String? { self[key]?.stringValue }

    /// An optional string field: `.some(nil)` when absent or null, nil when of another type.
    func optionalString(_ key: String) -> String?? {
        guard let value = self[key], !value.isNull else { return .some(nil) }
        guard let s = value.stringValue else { return nil }
        return .some(s)
    }

    /// A required integral number field.
    func int(_ key: String) -> Int? {
        guard let n = self[key]?.doubleValue, n == n.rounded(), abs(n) < 9e15 else { return nil }
        return Int(n)
    }
}

extension Empty: JSONValueConvertible {
    public var jsonValue: JSONValue { .object([:]) }
    public init?(jsonValue: JSONValue) {
        guard case .object = jsonValue else { return nil }
    }
}

extension Identifier: JSONValueConvertible {
    public var jsonValue: JSONValue { .object(["type": .string(type.rawValue), "value": .string(value)]) }
    public init?(jsonValue: JSONValue) {
        guard let type = jsonValue.string("type").flatMap(IdentifierType.init(rawValue:)), let value = jsonValue.string("value") else {
            return nil
        }
        self.init(type: type, value: value)
    }
}

extension CodeScope: JSONValueConvertible {
    public var jsonValue: JSONValue {
        switch self {
        case .generic: .object(["kind": .string("generic")])
        case .interaction(let id): .object(["kind": .string("interaction"), "interactionId": .string(id)])
        }
    }
    public init?(jsonValue: JSONValue) {
        switch jsonValue.string("kind") {
        case "generic": self = .generic
        case "interaction":
            guard let id = jsonValue.string("interactionId") else { return nil }
            self = .interaction(id)
        default: return nil
        }
    }
}

extension ServiceError: JSONValueConvertible {
    public var jsonValue: JSONValue {
        .object([("code", .string(code)), ("message", .string(message)), ("status", .number(Double(status))),
                 ("data", data.map(JSONValue.object)), ("details", details.map(JSONValue.string))])
    }
    public init?(jsonValue: JSONValue) {
        guard let code = jsonValue.string("code"), let message = jsonValue.string("message"), let status = jsonValue.int("status"),
              case .some(let details) = jsonValue.optionalString("details") else { return nil }
        var data: [String: JSONValue]?
        if let raw = jsonValue["data"], !raw.isNull {
            guard case .object(let fields) = raw else { return nil }
            data = fields
        }
        self.init(code: code, message: message, status: status, data: data, details: details)
    }
}

extension Verifier.CodeVerify.Params: JSONValueConvertible {
    public var jsonValue: JSONValue {
        .object([("scope", scope.jsonValue), ("identifier", identifier.jsonValue),
                 ("verificationId", verificationId.map(JSONValue.string)), ("code", .string(code))])
    }
    public init?(jsonValue: JSONValue) {
        guard let scope = jsonValue["scope"].flatMap(CodeScope.init(jsonValue:)),
              let identifier = jsonValue["identifier"].flatMap(Identifier.init(jsonValue:)),
              case .some(let verificationId) = jsonValue.optionalString("verificationId"),
              let code = jsonValue.string("code") else { return nil }
        self.init(scope: scope, identifier: identifier, verificationId: verificationId, code: code)
    }
}

extension Verifier.CodeVerify.Result: JSONValueConvertible {
    public var jsonValue: JSONValue { .object(["verificationId": .string(verificationId)]) }
    public init?(jsonValue: JSONValue) {
        guard let id = jsonValue.string("verificationId") else { return nil }
        self.init(verificationId: id)
    }
}

extension Verifier.CodeIssue.Params: JSONValueConvertible {
    public var jsonValue: JSONValue {
        .object([("scope", scope.jsonValue), ("identifier", identifier.jsonValue), ("templateType", .string(templateType.rawValue)),
                 ("clientIP", clientIP.map(JSONValue.string))])
    }
    public init?(jsonValue: JSONValue) {
        guard let scope = jsonValue["scope"].flatMap(CodeScope.init(jsonValue:)),
              let identifier = jsonValue["identifier"].flatMap(Identifier.init(jsonValue:)),
              let templateType = jsonValue.string("templateType").flatMap(TemplateType.init(rawValue:)),
              case .some(let clientIP) = jsonValue.optionalString("clientIP") else { return nil }
        self.init(scope: scope, identifier: identifier, templateType: templateType, clientIP: clientIP)
    }
}

extension Verifier.CodeIssue.Result: JSONValueConvertible {
    public var jsonValue: JSONValue {
        .object(["verificationId": .string(verificationId), "code": .string(code), "expiresAt": .number(expiresAt)])
    }
    public init?(jsonValue: JSONValue) {
        guard let id = jsonValue.string("verificationId"), let code = jsonValue.string("code"),
              let expiresAt = jsonValue["expiresAt"]?.doubleValue else { return nil }
        self.init(verificationId: id, code: code, expiresAt: expiresAt)
    }
}

extension Verifier.CodeReleaseSlot.Params: JSONValueConvertible {
    public var jsonValue: JSONValue { .object(["verificationId": .string(verificationId)]) }
    public init?(jsonValue: JSONValue) {
        guard let id = jsonValue.string("verificationId") else { return nil }
        self.init(verificationId: id)
    }
}

extension Connector.Deliver.Params: JSONValueConvertible {
    public var jsonValue: JSONValue {
        .object([("channel", .string(channel.rawValue)), ("to", .string(to)), ("templateType", .string(templateType.rawValue)),
                 ("payload", .object([("code", .string(payload.code)), ("locale", payload.locale.map(JSONValue.string))])),
                 ("clientIP", clientIP.map(JSONValue.string)), ("idempotencyKey", .string(idempotencyKey))])
    }
    public init?(jsonValue: JSONValue) {
        guard let channel = jsonValue.string("channel").flatMap(Channel.init(rawValue:)), let to = jsonValue.string("to"),
              let templateType = jsonValue.string("templateType").flatMap(TemplateType.init(rawValue:)),
              let payload = jsonValue["payload"], let code = payload.string("code"),
              case .some(let locale) = payload.optionalString("locale"),
              case .some(let clientIP) = jsonValue.optionalString("clientIP"),
              let key = jsonValue.string("idempotencyKey") else { return nil }
        self.init(channel: channel, to: to, templateType: templateType, payload: .init(code: code, locale: locale), clientIP: clientIP,
                  idempotencyKey: key)
    }
}

extension Connector.Deliver.Result: JSONValueConvertible {
    public var jsonValue: JSONValue { .object(["messageId": .string(messageId), "provider": .string(provider)]) }
    public init?(jsonValue: JSONValue) {
        guard let id = jsonValue.string("messageId"), let provider = jsonValue.string("provider") else { return nil }
        self.init(messageId: id, provider: provider)
    }
}
