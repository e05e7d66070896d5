/// Direct JSON writing for the types on every request's RPC hop: the fields go straight into the
/// frame's bytes, in sorted key order, without building a `JSONValue` dictionary, hashing its keys
/// and sorting them first (the profile's hashing and allocation share on the verify path). The
/// output is byte-for-byte `jsonValue.serialize(into:)`, which stays the reference (tested).
extension JSONValueConvertible {
    public func writeJSON(into out: inout [UInt8]) { jsonValue.serialize(into: &out) }
}

/// Writes one object's fields in the order given (callers give them sorted), skipping nil values.
///
/// Keys are literals (`StaticString`) of plain ASCII, copied as they are. Through
/// `JSONValue.serializeString`, each of the 10 keys of a `code.verify` call and its reply cost about
/// 340 instructions; a copy costs about a tenth of that (issue 7, callgrind).
struct JSONObjectWriter {
    private var first = true

    mutating func field(_ key: StaticString, into out: inout [UInt8], _ write: (inout [UInt8]) -> Void) {
        out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
        first = false
        out.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes in
            assert(!JSONValue.needsEscape(bytes) && bytes.allSatisfy { $0 < 0x80 }, "a JSON key literal must be plain ASCII")
            out.append(contentsOf: bytes)
        }
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
        write(&out)
    }

    mutating func string(_ key: StaticString, _ value: String?, into out: inout [UInt8]) {
        guard let value else { return }
        field(key, into: &out) { JSONValue.serializeString(value, into: &$0) }
    }

    func close(_ out: inout [UInt8]) {
        if first { out.append(UInt8(ascii: "{")) }
        out.append(UInt8(ascii: "}"))
    }
}

extension Identifier {
    public func writeJSON(into out: inout [UInt8]) {
        var object = JSONObjectWriter()
        object.string("type", type.rawValue, into: &out)
        object.string("value", value, into: &out)
        object.close(&out)
    }
}

extension CodeScope {
    public func writeJSON(into out: inout [UInt8]) {
        var object = JSONObjectWriter()
        switch self {
        case .generic:
            object.string("kind", "generic", into: &out)
        case .interaction(let id):
            object.string("interactionId", id, into: &out)
            object.string("kind", "interaction", into: &out)
        }
        object.close(&out)
    }
}

extension Verifier.CodeVerify.Params {
    public func writeJSON(into out: inout [UInt8]) {
        var object = JSONObjectWriter()
        object.string("code", code, into: &out)
        object.field("identifier", into: &out) { identifier.writeJSON(into: &$0) }
        object.field("scope", into: &out) { scope.writeJSON(into: &$0) }
        object.string("verificationId", verificationId, into: &out)
        object.close(&out)
    }
}

extension Verifier.CodeVerify.Result {
    public func writeJSON(into out: inout [UInt8]) {
        var object = JSONObjectWriter()
        object.string("verificationId", verificationId, into: &out)
        object.close(&out)
    }
}

extension Verifier.CodeIssue.Params {
    public func writeJSON(into out: inout [UInt8]) {
        var object = JSONObjectWriter()
        object.string("clientIP", clientIP, into: &out)
        object.field("identifier", into: &out) { identifier.writeJSON(into: &$0) }
        object.field("scope", into: &out) { scope.writeJSON(into: &$0) }
        object.string("templateType", templateType.rawValue, into: &out)
        object.close(&out)
    }
}

extension Verifier.CodeIssue.Result {
    public func writeJSON(into out: inout [UInt8]) {
        var object = JSONObjectWriter()
        object.string("code", code, into: &out)
        object.field("expiresAt", into: &out) { JSONValue.number(expiresAt).serialize(into: &$0) }
        object.string("verificationId", verificationId, into: &out)
        object.close(&out)
    }
}

extension Connector.Deliver.Params {
    public func writeJSON(into out: inout [UInt8]) {
        var object = JSONObjectWriter()
        object.string("channel", channel.rawValue, into: &out)
        object.string("clientIP", clientIP, into: &out)
        object.string("idempotencyKey", idempotencyKey, into: &out)
        object.field("payload", into: &out) { payload.writeJSON(into: &$0) }
        object.string("templateType", templateType.rawValue, into: &out)
        object.string("to", to, into: &out)
        object.close(&out)
    }
}

extension Connector.Deliver.Payload {
    public func writeJSON(into out: inout [UInt8]) {
        var object = JSONObjectWriter()
        object.string("code", code, into: &out)
        object.string("locale", locale, into: &out)
        object.close(&out)
    }
}

extension ServiceError {
    public func writeJSON(into out: inout [UInt8]) {
        var object = JSONObjectWriter()
        object.string("code", code, into: &out)
        if let data { object.field("data", into: &out) { JSONValue.object(data).serialize(into: &$0) } }
        object.string("details", details, into: &out)
        object.string("message", message, into: &out)
        object.field("status", into: &out) { JSONValue.number(Double(status)).serialize(into: &$0) }
        object.close(&out)
    }
}
