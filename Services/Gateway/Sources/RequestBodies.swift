import Contracts

/// A parsed JSON object body with typed, field-naming accessors (API.md §1: non-JSON → 400
/// `guard.invalid_input`; missing or wrongly typed fields → the same with a `details` line).
struct JSONBody {
    /// A flat object of plain strings, the usual body, read without a tree (`FlatJSONObject`); any
    /// other JSON object as the general parser's tree. Both answer every accessor below the same.
    private enum Storage {
        case flat(FlatJSONObject)
        case tree([String: JSONValue])
    }

    private let storage: Storage

    /// Parsed by Contracts' strict byte-level RFC 8259 parser (no `JSONSerialization`: the gateway
    /// runs on FoundationEssentials, and the byte parser costs a fraction of the Foundation one),
    /// after `FlatJSONObject` has tried the common shape without one.
    init(_ bytes: [UInt8]) throws(ServiceError) {
        guard !bytes.isEmpty else { throw .invalidInput("request body must be a JSON object") }
        if let flat = FlatJSONObject(bytes) {
            storage = .flat(flat)
            return
        }
        guard let parsed = JSONValue.parse(bytes) else { throw .invalidInput("request body is not valid JSON") }
        guard case .object(let object) = parsed else { throw .invalidInput("request body must be a JSON object") }
        storage = .tree(object)
    }

    /// The field's value; nil when absent.
    func value(_ key: String) -> JSONValue? {
        switch storage {
        case .flat(let flat): flat.string(key).map(JSONValue.string)
        case .tree(let object): object[key]
        }
    }

    /// nil when absent or null; an error when present with another type.
    func optionalString(_ key: String) throws(ServiceError) -> String? {
        try Self.string(value(key), path: key)
    }

    func requiredString(_ key: String) throws(ServiceError) -> String {
        guard let value = try optionalString(key) else { throw .invalidInput("\(key): required string") }
        return value
    }

    func object(_ key: String) throws(ServiceError) -> [String: JSONValue] {
        guard let value = value(key), !value.isNull else { throw .invalidInput("\(key): required object") }
        guard case .object(let nested) = value else { throw .invalidInput("\(key): must be an object") }
        return nested
    }

    static func string(in object: [String: JSONValue], _ key: String, path: String) throws(ServiceError) -> String? {
        try string(object[key], path: path)
    }

    private static func string(_ value: JSONValue?, path: String) throws(ServiceError) -> String? {
        guard let value, !value.isNull else { return nil }
        guard let text = value.stringValue else { throw .invalidInput("\(path): must be a string") }
        return text
    }

    func event(_ key: String) throws(ServiceError) -> InteractionEvent {
        let raw = try requiredString(key)
        guard let event = InteractionEvent(rawValue: raw) else {
            throw .invalidInput("\(key): must be one of SignIn, Register, ForgotPassword")
        }
        return event
    }

    /// The Management API's `{"email"}` / `{"phone"}` choice: email if valid, else phone (API.md §2.1).
    func managementIdentifier() throws(ServiceError) -> Identifier {
        let email = try optionalString("email")
        let phone = try optionalString("phone")
        if let email, IdentifierRules.isValidEmail(email) { return Identifier(type: .email, value: email) }
        if let phone, IdentifierRules.isValidPhone(phone) { return Identifier(type: .phone, value: phone) }
        if email != nil { throw .invalidInput("email: must match ^\\S+@\\S+\\.\\S+$ and be at most 256 characters") }
        if phone != nil { throw .invalidInput("phone: must be 1 to 15 digits") }
        throw .invalidInput("email or phone: required")
    }

    /// The Experience API's `{"identifier": {"type", "value"}}`.
    func experienceIdentifier() throws(ServiceError) -> Identifier {
        let nested = try object("identifier")
        guard let rawType = try Self.string(in: nested, "type", path: "identifier.type") else {
            throw .invalidInput("identifier.type: required string")
        }
        guard let type = IdentifierType(rawValue: rawType) else { throw .invalidInput("identifier.type: must be email or phone") }
        guard let value = try Self.string(in: nested, "value", path: "identifier.value") else {
            throw .invalidInput("identifier.value: required string")
        }
        let identifier = Identifier(type: type, value: value)
        guard IdentifierRules.isValid(identifier) else {
            throw .invalidInput(type == .email
                ? "identifier.value: must match ^\\S+@\\S+\\.\\S+$ and be at most 256 characters"
                : "identifier.value: must be 1 to 15 digits")
        }
        return identifier
    }
}

struct ManagementVerifyBody {
    let identifier: Identifier
    let code: String

    init(_ body: JSONBody) throws(ServiceError) {
        identifier = try body.managementIdentifier()
        let code = try body.requiredString("verificationCode")
        guard !code.isEmpty else { throw .invalidInput("verificationCode: must be a non-empty string") }
        guard code.utf8.count <= 64 else { throw .invalidInput("verificationCode: too long") }
        self.code = code
    }
}

struct ExperienceSendBody {
    let identifier: Identifier
    let event: InteractionEvent

    init(_ body: JSONBody) throws(ServiceError) {
        identifier = try body.experienceIdentifier()
        event = try body.event("interactionEvent")
    }
}

struct ExperienceVerifyBody {
    let identifier: Identifier
    let verificationId: String
    let code: String

    init(_ body: JSONBody) throws(ServiceError) {
        identifier = try body.experienceIdentifier()
        verificationId = try body.requiredString("verificationId")
        guard verificationId.utf8.count <= 128 else { throw .invalidInput("verificationId: too long") }
        // An empty code is the verifier's `verification_code.not_found` (API.md §3.2 step 2).
        code = try body.requiredString("code")
        guard code.utf8.count <= 64 else { throw .invalidInput("code: too long") }
    }
}
