/// Reads back, without building a `JSONValue` tree, the exact text the direct writers produce
/// (JSONValueConvertible+Writing.swift): fields in sorted order, no whitespace, strings of
/// printable ASCII without escapes, unsigned integers. Any other byte makes a read answer nil and
/// the caller parses the general way, so the scanner only has to be right on what it accepts.
/// Used on the verify path's RPC hop, where building and hashing the trees' dictionaries was a
/// fifth of the verifier's instructions per wrong guess (callgrind).
///
/// Valid only inside the `withUnsafeBufferPointer` call that made it.
public struct CanonicalJSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    public private(set) var index = 0

    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    public var atEnd: Bool { index == bytes.count }

    /// Consumes `expected` if the bytes at the cursor are exactly it.
    public mutating func literal(_ expected: StaticString) -> Bool {
        guard expected.hasPointerRepresentation else {   // a one-scalar literal may be stored as its scalar
            return expected.withUTF8Buffer { literal(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
        }
        return literal(UnsafeBufferPointer(start: expected.utf8Start, count: expected.utf8CodeUnitCount))
    }

    private mutating func literal(_ expected: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count - index >= expected.count else { return false }
        for offset in 0..<expected.count where bytes[index + offset] != expected[offset] { return false }
        index += expected.count
        return true
    }

    /// An unsigned decimal integer of at most 18 digits, without a leading zero (RFC 8259 §6).
    public mutating func unsigned() -> Int? {
        let start = index
        var value = 0
        while index < bytes.count, index - start < 18, case let digit = bytes[index] &- 0x30, digit < 10 {
            value = value * 10 + Int(digit)
            index += 1
        }
        guard index > start, bytes[start] != UInt8(ascii: "0") || index - start == 1 else { return nil }
        return value
    }

    /// A JSON number (RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`) at the
    /// cursor, as the nearest `Double`; nil for anything else or a value beyond `Double`'s range.
    public mutating func number() -> Double? {
        let start = index
        func digits() -> Bool {
            let first = index
            while index < bytes.count, bytes[index] &- 0x30 < 10 { index += 1 }
            return index > first
        }
        func skip(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        _ = skip(UInt8(ascii: "-"))
        if !skip(UInt8(ascii: "0")) {
            guard index < bytes.count, bytes[index] != UInt8(ascii: "0"), digits() else { return nil }
        }
        if skip(UInt8(ascii: ".")) {
            guard digits() else { return nil }
        }
        if skip(UInt8(ascii: "e")) || skip(UInt8(ascii: "E")) {
            if !skip(UInt8(ascii: "+")) { _ = skip(UInt8(ascii: "-")) }
            guard digits() else { return nil }
        }
        guard let value = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)),
              value.isFinite else { return nil }
        return value
    }

    /// The rest of a string whose opening quote the last literal consumed, and its closing quote:
    /// printable ASCII without `"` or `\` inside, else nil.
    public mutating func plainString() -> String? {
        let start = index
        while index < bytes.count, case let byte = bytes[index], byte >= 0x20, byte < 0x7F,
              byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        defer { index += 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }
}

/// A type its direct writer's output can be scanned back into (see `CanonicalJSONScanner`).
public protocol CanonicalJSONScannable: Sendable {
    /// The value `writeJSON(into:)` wrote at the cursor, or nil for anything else.
    init?(scanning scanner: inout CanonicalJSONScanner)
}

extension Identifier: CanonicalJSONScannable {
    public init?(scanning s: inout CanonicalJSONScanner) {
        guard s.literal(#"{"type":""#), let raw = s.plainString(), let type = IdentifierType(rawValue: raw),
              s.literal(#","value":""#), let value = s.plainString(), s.literal("}") else { return nil }
        self.init(type: type, value: value)
    }
}

extension CodeScope: CanonicalJSONScannable {
    public init?(scanning s: inout CanonicalJSONScanner) {
        if s.literal(#"{"kind":"generic"}"#) {
            self = .generic
        } else if s.literal(#"{"interactionId":""#), let id = s.plainString(), s.literal(#","kind":"interaction"}"#) {
            self = .interaction(id)
        } else {
            return nil
        }
    }
}

extension Verifier.CodeVerify.Params: CanonicalJSONScannable {
    public init?(scanning s: inout CanonicalJSONScanner) {
        guard s.literal(#"{"code":""#), let code = s.plainString(), s.literal(#","identifier":"#),
              let identifier = Identifier(scanning: &s), s.literal(#","scope":"#),
              let scope = CodeScope(scanning: &s) else { return nil }
        var verificationId: String?
        if s.literal(#","verificationId":""#) {
            guard let id = s.plainString() else { return nil }
            verificationId = id
        }
        guard s.literal("}") else { return nil }
        self.init(scope: scope, identifier: identifier, verificationId: verificationId, code: code)
    }
}

extension CanonicalJSONScanner {
    /// An optional string field: absent (`nil`), or `"key":"…"` when `literal` (the key with its
    /// quotes, colon and opening quote, and any separator) matches; `.none` when it matched but the
    /// string is not plain.
    mutating func optionalString(_ literal: StaticString) -> String?? {
        guard self.literal(literal) else { return .some(nil) }
        guard let value = plainString() else { return .none }
        return .some(value)
    }
}

extension Verifier.CodeVerify.Result: CanonicalJSONScannable {
    public init?(scanning s: inout CanonicalJSONScanner) {
        guard s.literal(#"{"verificationId":""#), let id = s.plainString(), s.literal("}") else { return nil }
        self.init(verificationId: id)
    }
}

extension Verifier.CodeIssue.Result: CanonicalJSONScannable {
    public init?(scanning s: inout CanonicalJSONScanner) {
        guard s.literal(#"{"code":""#), let code = s.plainString(), s.literal(#","expiresAt":"#), let expiresAt = s.number(),
              s.literal(#","verificationId":""#), let id = s.plainString(), s.literal("}") else { return nil }
        self.init(verificationId: id, code: code, expiresAt: expiresAt)
    }
}

extension Verifier.CodeIssue.Params: CanonicalJSONScannable {
    public init?(scanning s: inout CanonicalJSONScanner) {
        guard s.literal("{") else { return nil }
        guard case .some(let clientIP) = s.optionalString(#""clientIP":""#) else { return nil }
        guard s.literal(clientIP == nil ? #""identifier":"# : #","identifier":"#), let identifier = Identifier(scanning: &s),
              s.literal(#","scope":"#), let scope = CodeScope(scanning: &s), s.literal(#","templateType":""#),
              let raw = s.plainString(), let templateType = TemplateType(rawValue: raw), s.literal("}") else { return nil }
        self.init(scope: scope, identifier: identifier, templateType: templateType, clientIP: clientIP)
    }
}

extension Connector.Deliver.Params: CanonicalJSONScannable {
    /// The sorted-key form `jsonValue.serialize` writes: channel, clientIP?, idempotencyKey,
    /// payload {code, locale?}, templateType, to.
    public init?(scanning s: inout CanonicalJSONScanner) {
        guard s.literal(#"{"channel":""#), let rawChannel = s.plainString(), let channel = Channel(rawValue: rawChannel),
              case .some(let clientIP) = s.optionalString(#","clientIP":""#),
              s.literal(#","idempotencyKey":""#), let key = s.plainString(),
              s.literal(#","payload":{"code":""#), let code = s.plainString(),
              case .some(let locale) = s.optionalString(#","locale":""#), s.literal("}"),
              s.literal(#","templateType":""#), let rawTemplate = s.plainString(), let templateType = TemplateType(rawValue: rawTemplate),
              s.literal(#","to":""#), let to = s.plainString(), s.literal("}") else { return nil }
        self.init(channel: channel, to: to, templateType: templateType, payload: .init(code: code, locale: locale), clientIP: clientIP,
                  idempotencyKey: key)
    }
}

extension Connector.Deliver.Result: CanonicalJSONScannable {
    public init?(scanning s: inout CanonicalJSONScanner) {
        guard s.literal(#"{"messageId":""#), let id = s.plainString(), s.literal(#","provider":""#),
              let provider = s.plainString(), s.literal("}") else { return nil }
        self.init(messageId: id, provider: provider)
    }
}
