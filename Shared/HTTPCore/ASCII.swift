/// Byte classes from RFC 9110 §5.6.2 (tokens) and RFC 5234 Appendix B.1 (core rules), as lookup
/// tables so the parser's inner loops are a load and a branch per byte.
public enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let comma: UInt8 = 0x2C
    static let equals: UInt8 = 0x3D
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let slash: UInt8 = 0x2F
    static let question: UInt8 = 0x3F
    static let percent: UInt8 = 0x25
    static let asterisk: UInt8 = 0x2A

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
    ///       / DIGIT / ALPHA   (RFC 9110 §5.6.2), as a 128-bit set: one shift and mask per byte, no table.
    private static let tokenLow: UInt64 = 0x03FF_6CFA_0000_0000
    private static let tokenHigh: UInt64 = 0x57FF_FFFF_C7FF_FFFE

    /// Bytes allowed in a request-target: RFC 3986 unreserved, gen-delims minus "#" (a fragment is
    /// never sent, RFC 9112 §3.2), sub-delims and "%".
    private static let targetLow: UInt64 = 0xAFFF_FFF2_0000_0000
    private static let targetHigh: UInt64 = 0x47FF_FFFE_AFFF_FFFF

    @inline(__always) private static func isMember(_ byte: UInt8, low: UInt64, high: UInt64) -> Bool {
        byte < 64 ? (low >> UInt64(byte)) & 1 == 1 : byte < 128 ? (high >> UInt64(byte - 64)) & 1 == 1 : false
    }

    @inline(__always) static func isToken(_ byte: UInt8) -> Bool { isMember(byte, low: tokenLow, high: tokenHigh) }

    @inline(__always) static func isTargetByte(_ byte: UInt8) -> Bool { isMember(byte, low: targetLow, high: targetHigh) }

    @inline(__always) static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    /// field-vchar / SP / HTAB (RFC 9110 §5.5): VCHAR, obs-text, and whitespace; no other CTLs, no DEL.
    @inline(__always) static func isFieldValueByte(_ byte: UInt8) -> Bool {
        (byte >= 0x21 && byte != 0x7F) || byte == space || byte == tab
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    @inline(__always) static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: nil
        }
    }

    @inline(__always) public static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// Case-insensitive comparison of two ASCII strings (header names, tokens), without allocating.
    public static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        // Native strings know their UTF-8 length, so most mismatches cost one comparison; the
        // rest compare two contiguous buffers (header lookups do this for every request).
        guard a.utf8.count == b.utf8.count else { return false }
        var a = a
        var b = b
        return a.withUTF8 { left in
            b.withUTF8 { right in
                for index in 0..<left.count where lowercased(left[index]) != lowercased(right[index]) { return false }
                return true
            }
        }
    }

    public static func equalsIgnoringCase(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        var left = a.utf8.makeIterator()
        var right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return true
            case (let x?, let y?): if lowercased(x) != lowercased(y) { return false }
            default: return false
            }
        }
    }

    /// The elements of a comma-separated list (RFC 9110 §5.6.1), trimmed, empty elements skipped.
    static func listElements(_ value: String) -> [Substring] {
        value.split(separator: ",", omittingEmptySubsequences: true).compactMap { element in
            let trimmed = trimmingWhitespace(element)
            return trimmed.isEmpty ? nil : trimmed
        }
    }

    static func trimmingWhitespace(_ value: Substring) -> Substring {
        var start = value.startIndex
        var end = value.endIndex
        while start < end, value[start] == " " || value[start] == "\t" { start = value.index(after: start) }
        while end > start {
            let before = value.index(before: end)
            guard value[before] == " " || value[before] == "\t" else { break }
            end = before
        }
        return value[start..<end]
    }
}
