/// Reads a client's request body of the shape the Management API's calls nearly always have, a
/// flat object of short plain strings (`{"email":"a@b.co","verificationCode":"123456"}`), without
/// building a `JSONValue` tree: where the gateway parsed every body into a dictionary and then
/// looked its fields up, this finds the fields' byte ranges and makes strings only of the values
/// read (issue 7: the tree, its dictionary and the lookups were about 5,000 of the gateway's
/// 81,000 instructions per wrong guess, callgrind).
///
/// It accepts RFC 8259 whitespace around every token, and keys and values of printable ASCII
/// (0x20–0x7E) without `"` or `\`. Anything else (an escape, a non-ASCII byte, a number, a nested
/// value, trailing bytes) answers nil, and the caller parses the general way: the scanner only has
/// to be right on what it accepts. On that, it agrees with `JSONValue.parse`, including that a
/// repeated key's last value wins (checked against it in RPCCoreTests' `FlatJSONObjectTests`).
public struct FlatJSONObject: Sendable {
    /// The body, kept for the ranges.
    private let bytes: [UInt8]
    /// Each field's key and value, without their quotes, in the order written.
    private let fields: [(key: Range<Int>, value: Range<Int>)]

    /// nil unless `bytes` is a flat object of plain strings.
    public init?(_ bytes: [UInt8]) {
        guard let fields = bytes.withUnsafeBufferPointer(Self.scan) else { return nil }
        self.bytes = bytes
        self.fields = fields
    }

    /// The value of the last field named `key`, as `JSONValue.parse` keeps it; nil when absent.
    public func string(_ key: String) -> String? {
        var key = key
        return key.withUTF8 { wanted in
            bytes.withUnsafeBufferPointer { all -> String? in
                for field in fields.reversed()
                where field.key.count == wanted.count && UnsafeBufferPointer(rebasing: all[field.key]).elementsEqual(wanted) {
                    return String(decoding: UnsafeBufferPointer(rebasing: all[field.value]), as: UTF8.self)
                }
                return nil
            }
        }
    }

    /// The number of fields written, repeats included (tests).
    public var count: Int { fields.count }

    private static func scan(_ b: UnsafeBufferPointer<UInt8>) -> [(key: Range<Int>, value: Range<Int>)]? {
        var i = 0
        func skipWhitespace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }
        /// A plain string at `i` (on its opening quote): the range of its contents.
        func plainString() -> Range<Int>? {
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            let start = i + 1
            var end = start
            while end < b.count {
                let byte = b[end]
                if byte == UInt8(ascii: "\"") {
                    i = end + 1
                    return start..<end
                }
                guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
                end += 1
            }
            return nil
        }
        var fields: [(key: Range<Int>, value: Range<Int>)] = []
        fields.reserveCapacity(4)
        skipWhitespace()
        guard i < b.count, b[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        skipWhitespace()
        if i < b.count, b[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                skipWhitespace()
                guard let key = plainString() else { return nil }
                skipWhitespace()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                skipWhitespace()
                guard let value = plainString() else { return nil }
                fields.append((key, value))
                skipWhitespace()
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                guard b[i] == UInt8(ascii: "}") else { return nil }
                i += 1
                break
            }
        }
        skipWhitespace()
        return i == b.count ? fields : nil
    }
}
