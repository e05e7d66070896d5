import ConfigCore

/// One message template. Email templates have a subject, a text body and (optionally) an HTML body;
/// SMS templates only a text body. Bodies contain `{{key}}` placeholders.
struct MessageTemplate: Sendable, Equatable, Decodable {
    var subject: String?
    var text: String
    var html: String?

    /// Replaces each `{{key}}` (spaces inside the braces allowed) by `values[key]`, or by nothing when the
    /// key is unknown. With `escapeHTML`, substituted values are escaped; the template's own text is not.
    /// Works on the UTF-8 bytes (issue 7: the Character-level version was most of the connector's CPU
    /// per delivery): the braces are ASCII, and a multi-byte UTF-8 sequence never contains an ASCII byte.
    static func fill(_ template: String, values: [String: String], escapeHTML: Bool) -> String {
        fill(template, escapeHTML: escapeHTML) { values[$0] }
    }

    /// As above, with the values looked up by `value` (a renderer answers its per-message keys
    /// without copying the catalog's dictionary once per message).
    static func fill(_ template: String, escapeHTML: Bool, value: (String) -> String?) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(template.utf8.count + 16)
        var template = template
        template.withUTF8 { bytes in
            let n = bytes.count
            var literal = 0  // start of the template text not yet copied
            var i = 0
            while i + 1 < n {
                guard bytes[i] == UInt8(ascii: "{"), bytes[i + 1] == UInt8(ascii: "{") else {
                    i += 1
                    continue
                }
                var close = i + 2
                while close + 1 < n, !(bytes[close] == UInt8(ascii: "}") && bytes[close + 1] == UInt8(ascii: "}")) { close += 1 }
                guard close + 1 < n else { break }  // unterminated: the rest stays as written
                if let key = placeholderKey(UnsafeBufferPointer(rebasing: bytes[(i + 2)..<close])) {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[literal..<i]))
                    let text = value(key) ?? ""
                    if escapeHTML { appendEscaped(text, to: &out, lineBreaks: false) } else { out.append(contentsOf: text.utf8) }
                    literal = close + 2
                }
                // Not a placeholder: the braces stay as written, as part of the literal text.
                i = close + 2
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[literal..<n]))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The key between `{{` and `}}` with the white space around it trimmed, if it is one: letters,
    /// digits, `_`, `.`, `-`. ASCII keys are checked byte by byte; any other goes through `Character`.
    private static func placeholderKey(_ inner: UnsafeBufferPointer<UInt8>) -> String? {
        guard inner.allSatisfy({ $0 < 0x80 }) else {
            let key = String(decoding: inner, as: UTF8.self).trimmingWhitespace()
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }) else { return nil }
            return key
        }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        var lower = 0, upper = inner.count
        while lower < upper, isSpace(inner[lower]) { lower += 1 }
        while upper > lower, isSpace(inner[upper - 1]) { upper -= 1 }
        guard lower < upper else { return nil }
        let key = UnsafeBufferPointer(rebasing: inner[lower..<upper])
        for b in key {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
                continue
            default:
                return nil
            }
        }
        return String(decoding: key, as: UTF8.self)
    }

    static func htmlEscaped(_ text: String) -> String {
        var out: [UInt8] = []
        appendEscaped(text, to: &out, lineBreaks: false)
        return String(decoding: out, as: UTF8.self)
    }

    /// `text` escaped as one HTML paragraph, each line break kept as `<br>`.
    static func htmlParagraph(_ text: String) -> String {
        var out = Array("<p>".utf8)
        appendEscaped(text, to: &out, lineBreaks: true)
        out.append(contentsOf: "</p>\n".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Escapes `& < > " '` byte by byte (all ASCII, so a multi-byte character is copied untouched);
    /// with `lineBreaks`, each `\n` becomes `<br>\n`.
    private static func appendEscaped(_ text: String, to out: inout [UInt8], lineBreaks: Bool) {
        out.reserveCapacity(out.count + text.utf8.count)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): out.append(contentsOf: "&#39;".utf8)
            case UInt8(ascii: "\n") where lineBreaks: out.append(contentsOf: "<br>\n".utf8)
            default: out.append(b)
            }
        }
    }
}
