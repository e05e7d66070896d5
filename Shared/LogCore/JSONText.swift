/// Minimal JSON text writing for hand-built lines (logs, hot-path encoders).
public enum JSONText {
    /// Appends `value` as a JSON string literal (RFC 8259 §7), quotes included.
    public static func appendString(_ value: String, to out: inout String) {
        out.append("\"")
        // Most strings (messages, codes, identifiers) need no escape: one scan of the bytes and one
        // append, instead of a scalar at a time (issue 7: error bodies are on the hot path).
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(value)
            out.append("\"")
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }

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
