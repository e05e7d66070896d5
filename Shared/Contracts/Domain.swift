/// The kinds of identifier a code is sent to (API.md §1).
public enum IdentifierType: String, Codable, Sendable, CaseIterable {
    case email
    case phone

    public var channel: Channel { self == .email ? .email : .sms }
}

/// A recipient exactly as the caller gave it. Records store and compare `value` as given;
/// rate-limit buckets use `normalized`.
public struct Identifier: Codable, Sendable, Hashable {
    public var type: IdentifierType
    public var value: String

    public init(type: IdentifierType, value: String) {
        self.type = type
        self.value = value
    }

    /// Email lowercased and trimmed; phone digits only (API.md §1).
    public var normalized: String {
        switch type {
        case .email:
            if let ascii = value.utf8.withContiguousStorageIfAvailable(Self.normalizedASCIIEmail), let ascii { return ascii }
            return Self.normalizedUnicodeEmail(value)
        case .phone:
            return String(value.unicodeScalars.filter { $0.value >= 48 && $0.value <= 57 })
        }
    }

    /// `normalizedUnicodeEmail` for an all-ASCII address in one pass over its bytes (white space
    /// dropped, A–Z lowered), nil if it has a byte beyond ASCII.
    static func normalizedASCIIEmail(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        return String(unsafeUninitializedCapacity: bytes.count) { out in
            var count = 0
            for byte in bytes where !ASCIIWhiteSpace.contains(byte) {
                out[count] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
                count += 1
            }
            return count
        }
    }

    /// The general rule: Unicode white space dropped, Unicode lowercase.
    static func normalizedUnicodeEmail(_ value: String) -> String {
        String(value.unicodeScalars.filter { !$0.properties.isWhitespace }).lowercased()
    }
}

/// The ASCII bytes with the Unicode White_Space property: TAB, LF, VT, FF, CR and SPACE.
public enum ASCIIWhiteSpace {
    @inline(__always) public static func contains(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }
}

public enum Channel: String, Codable, Sendable, CaseIterable {
    case email
    case sms
}

/// Logto's interaction events; also the template (usage) types of Experience records.
public enum InteractionEvent: String, Codable, Sendable, CaseIterable {
    case signIn = "SignIn"
    case register = "Register"
    case forgotPassword = "ForgotPassword"
}

/// The usage type a code was issued for, which picks the message template.
public enum TemplateType: String, Codable, Sendable, CaseIterable {
    case signIn = "SignIn"
    case register = "Register"
    case forgotPassword = "ForgotPassword"
    case generic = "Generic"

    public init(_ event: InteractionEvent) {
        switch event {
        case .signIn: self = .signIn
        case .register: self = .register
        case .forgotPassword: self = .forgotPassword
        }
    }
}

/// Where a code record lives: the Management API's per-identifier `Generic` records, or one
/// interaction's records (one per identifier type).
public enum CodeScope: Codable, Sendable, Hashable {
    case generic
    case interaction(String)

    private enum CodingKeys: String, CodingKey { case kind, interactionId }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "generic": self = .generic
        case "interaction": self = .interaction(try c.decode(String.self, forKey: .interactionId))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown scope \(other)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .generic: try c.encode("generic", forKey: .kind)
        case .interaction(let id):
            try c.encode("interaction", forKey: .kind)
            try c.encode(id, forKey: .interactionId)
        }
    }
}
