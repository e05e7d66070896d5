/// Minimal JSON text writing for hand-built lines (logs, hot-path encoders).
public enum JSONText {
    /// Appends `value` as a JSON string literal (RFC 8259 §7), quotes included, onto bytes: the path
    /// of `appendString(_:to: inout String)` for strings that need escapes. (Byte writers elsewhere
    /// use Contracts' `JSONValue.serializeString`, which writes the same text; LogCore does not
    /// depend on Contracts.)
    ///
    /// Works on the UTF-8 bytes: the bytes that need an escape (`"`, `\`, controls) are all ASCII,
    /// and no byte of a multi-byte sequence is ASCII, so everything else is copied as it stands, a
    /// run at a time. (Issue 7: the outbox connector's message bodies hold line breaks, and escaping
    /// them a scalar at a time was a third of its CPU per delivery.)
    static func appendString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            var run = 0
            for index in bytes.indices where needsEscape(bytes[index]) {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
                appendEscape(bytes[index], to: &out)
                run = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `value` as a JSON string literal onto a `String`. Most strings (messages, codes,
    /// identifiers) need no escape and are appended whole.
    public static func appendString(_ value: String, to out: inout String) {
        guard value.utf8.contains(where: needsEscape) else {
            out.append("\"")
            out.append(value)
            out.append("\"")
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.utf8.count + 16)
        appendString(value, to: &bytes)
        out.append(String(decoding: bytes, as: UTF8.self))
    }

    /// `\` and the escape for `byte`, one of the bytes `needsEscape` names.
    private static func appendEscape(_ byte: UInt8, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
        case UInt8(ascii: "\n"): out.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): out.append(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): out.append(UInt8(ascii: "t"))
        default:
            out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    public static func quoted(_ value: String) -> String {
        var s = ""
        appendString(value, to: &s)
        return s
    }
}

/// Masks an identifier for logs: keeps enough to correlate, never the whole value.
public enum Redact {
    public static func identifier(_ value: String) -> String {
        if let at = value.firstIndex(of: "@") {
            let local = value[..<at]
            let domain = value[value.index(after: at)...]
            return "\(local.prefix(1))***@\(domain)"
        }
        guard value.count > 4 else { return "***" }
        return "***" + value.suffix(2)
    }
}
