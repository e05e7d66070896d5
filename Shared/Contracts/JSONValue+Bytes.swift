/// A strict RFC 8259 parser and a serializer for `JSONValue`, over bytes. The RPC hot path uses
/// them instead of `Codable` (which spends most of a request's CPU in generic metadata lookups,
/// bench/profile.md); every failure returns nil so callers fall back to `JSONDecoder`, which
/// produces the detailed error messages.
extension JSONValue {
    /// Parses one JSON text; nil when it is not valid JSON (or nests deeper than 64).
    public static func parse(_ bytes: some Collection<UInt8>) -> JSONValue? {
        if let parsed = bytes.withContiguousStorageIfAvailable(parse(buffer:)) { return parsed }
        return Array(bytes).withUnsafeBufferPointer(parse(buffer:))
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        var parser = JSONByteParser(buffer)
        guard let value = parser.value(depth: 0) else { return nil }
        parser.skipWhitespace()
        return parser.index == buffer.count ? value : nil
    }

    /// Appends this value's JSON text. Object keys come out sorted, so output is deterministic.
    public func serialize(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n):
            if n == n.rounded(), abs(n) < 1e15 { out.append(contentsOf: String(Int64(n)).utf8) } else if n.isFinite {
                out.append(contentsOf: "\(n)".utf8)
            } else {
                out.append(contentsOf: "null".utf8)
            }
        case .string(let s): JSONValue.serializeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.serialize(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (i, key) in fields.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.serializeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                fields[key]!.serialize(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string literal (RFC 8259 §7): quote, backslash and control characters escaped. Runs
    /// of bytes that need no escape are copied in one append (the RPC hot path serializes every
    /// identifier and code through here). A string with nothing to escape, nearly every one, is
    /// found so eight bytes at a time (`needsEscape`) and copied whole.
    public static func serializeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = s
        text.withUTF8 { bytes in
            guard needsEscape(bytes) else {
                out.append(contentsOf: bytes)
                return
            }
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard mustEscape(byte) else { continue }
                if runStart < index { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
                appendEscape(byte, into: &out)
                runStart = index + 1
            }
            if runStart < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Whether any byte is a control character, `"` or `\` (`mustEscape`). Eight bytes at a time:
    /// a word has a byte below `n` (n ≤ 0x80) when `(w - n…n) & ~w & 0x80…80` is non-zero, and a
    /// byte equal to `c` when `w ^ c…c` has a byte below 1. The test is exact about whether such a
    /// byte exists, which is all this asks; bytes of 0x80 and up (UTF-8 sequences) never match.
    public static func needsEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        func hasByte(_ w: UInt64, below n: UInt64) -> Bool { (w &- ones &* n) & ~w & (ones &* 0x80) != 0 }
        let raw = UnsafeRawBufferPointer(bytes)
        var index = 0
        while index + 8 <= raw.count {
            let w = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            if hasByte(w, below: 0x20) || hasByte(w ^ (ones &* 0x22), below: 1) || hasByte(w ^ (ones &* 0x5C), below: 1) {
                return true
            }
            index += 8
        }
        return raw[index...].contains(where: mustEscape)
    }

    /// A control character, `"` or `\`: what a JSON string cannot hold as it is.
    private static func mustEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func appendEscape(_ byte: UInt8, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        default:
            let hex = "0123456789abcdef".utf8
            out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                    hex[hex.index(hex.startIndex, offsetBy: Int(byte >> 4))],
                                    hex[hex.index(hex.startIndex, offsetBy: Int(byte & 0xF))]])
        }
    }

    // Typed accessors for hand-written conversions.
    public subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var doubleValue: Double? { if case .number(let n) = self { return n } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var isNull: Bool { if case .null = self { return true } else { return false } }
}

/// Reads one JSON text from a buffer that outlives it (`JSONValue.parse` keeps the buffer alive).
/// Every read is preceded by a bounds check of its own (`index < bytes.count`).
struct JSONByteParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }

    mutating func value(depth: Int) -> JSONValue? {
        guard depth < 64 else { return nil }
        skipWhitespace()
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "{"): return object(depth: depth)
        case UInt8(ascii: "["): return array(depth: depth)
        case UInt8(ascii: "\""): return string().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default: return number()
        }
    }

    /// `true`, `false` or `null`, compared with the literal's bytes in place (no arrays built).
    mutating func literal(_ word: StaticString, _ value: JSONValue) -> JSONValue? {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard index + expected.count <= bytes.count,
              UnsafeBufferPointer(rebasing: bytes[index..<index + expected.count]).elementsEqual(expected) else { return nil }
        index += expected.count
        return value
    }

    mutating func object(depth: Int) -> JSONValue? {
        index += 1
        // Room for the envelope's and the params' fields up front: no rehash while they arrive.
        var fields: [String: JSONValue] = Dictionary(minimumCapacity: 8)
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(fields)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            guard let v = value(depth: depth + 1) else { return nil }
            fields[key] = v
            skipWhitespace()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
            return nil
        }
    }

    mutating func array(depth: Int) -> JSONValue? {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            guard let v = value(depth: depth + 1) else { return nil }
            items.append(v)
            skipWhitespace()
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            return nil
        }
    }

    /// A string literal at `index` (on its opening quote). The common case, no escape, becomes a
    /// `String` straight from the buffer (ASCII without validation, anything else validated as
    /// UTF-8); a string with escapes goes through `escapedString`.
    mutating func string() -> String? {
        let start = index + 1
        var scan = start
        var high: UInt8 = 0
        while scan < bytes.count {
            let byte = bytes[scan]
            if byte == UInt8(ascii: "\"") {
                index = scan + 1
                let run = UnsafeBufferPointer(rebasing: bytes[start..<scan])
                return high < 0x80 ? String(decoding: run, as: UTF8.self) : String(validating: run, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { return escapedString() }
            if byte < 0x20 { return nil }
            high |= byte
            scan += 1
        }
        return nil
    }

    /// A string literal with escapes at `index` (on its opening quote), unescaped; validates UTF-8.
    mutating func escapedString() -> String? {
        index += 1
        var out: [UInt8] = []
        var plainStart = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                out += bytes[plainStart..<index]
                index += 1
                return String(validating: out, as: UTF8.self)
            }
            if byte < 0x20 { return nil }
            if byte == UInt8(ascii: "\\") {
                out += bytes[plainStart..<index]
                index += 1
                guard index < bytes.count else { return nil }
                switch bytes[index] {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4(at: index + 1) else { return nil }
                    index += 4
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "\\"), bytes[index + 2] == UInt8(ascii: "u"),
                              let low = hex4(at: index + 3), (0xDC00...0xDFFF).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        return nil
                    }
                    guard let u = Unicode.Scalar(scalar) else { return nil }
                    out += Array(String(Character(u)).utf8)
                default: return nil
                }
                index += 1
                plainStart = index
                continue
            }
            index += 1
        }
        return nil
    }

    func hex4(at start: Int) -> UInt32? {
        guard start + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for i in start..<start + 4 {
            let b = bytes[i]
            let digit: UInt32
            switch b {
            case 0x30...0x39: digit = UInt32(b - 0x30)
            case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
            default: return nil
            }
            value = value << 4 | digit
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` (RFC 8259 §6).
    mutating func number() -> JSONValue? {
        let start = index
        let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
        var fraction = false
        if negative { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { return nil }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            fraction = true
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { return nil }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            fraction = true
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { return nil }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        // Integers of up to 15 digits (ids, deadlines, statuses) are exact in a Double: no String.
        if !fraction, index - start - (negative ? 1 : 0) <= 15 {
            var magnitude: Int64 = 0
            for position in (negative ? start + 1 : start)..<index { magnitude = magnitude * 10 + Int64(bytes[position] - 0x30) }
            let n = Double(magnitude)
            return .number(negative ? -n : n)
        }
        guard let n = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)) else { return nil }
        return .number(n)
    }

    func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
}
