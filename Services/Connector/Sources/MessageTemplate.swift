import ConfigCore

/// One message template. Email templates have a subject, a text body and (optionally) an HTML body;
/// SMS templates only a text body. Bodies contain `{{key}}` placeholders.
struct MessageTemplate: Sendable, Equatable, Decodable {
    var subject: String?
    var text: String
    var html: String?

    /// Replaces each `{{key}}` (spaces inside the braces allowed) by `values[key]`, or by nothing when the
    /// key is unknown. With `escapeHTML`, substituted values are escaped; the template's own text is not.
    static func fill(_ template: String, values: [String: String], escapeHTML: Bool) -> String {
        var out = ""
        out.reserveCapacity(template.utf8.count + 16)
        var rest = template[...]
        while let open = rest.firstRange(of: "{{") {
            out += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.firstRange(of: "}}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let key = afterOpen[..<close.lowerBound].trimmingWhitespace()
            if !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }) {
                let value = values[key] ?? ""
                out += escapeHTML ? htmlEscaped(value) : value
            } else {
                // Not a placeholder: keep the braces as written.
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = afterOpen[close.upperBound...]
        }
        out += rest
        return out
    }

    static func htmlEscaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
