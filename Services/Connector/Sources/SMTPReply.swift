/// A server reply (RFC 5321 §4.2): a three-digit code and one or more lines of text; continuation
/// lines are `code-text`, the last one `code text` (or the bare code).
struct SMTPReply: Sendable, Equatable {
    var code: Int
    var lines: [String]

    static let maxLines = 100

    /// Reads a whole (possibly multi-line) reply.
    static func read(from connection: SMTPConnection) throws(DeliveryFailure) -> SMTPReply {
        let until = connection.stepDeadline()
        var lines: [String] = []
        var code: Int?
        while true {
            let line = try connection.readLine(until: until)
            guard let parsed = parse(line) else { throw .transient("smtp: the server sent a malformed reply") }
            if let code, code != parsed.code { throw .transient("smtp: the server sent a malformed reply") }
            code = parsed.code
            lines.append(parsed.text)
            guard lines.count <= maxLines else { throw .transient("smtp: the server sent an over-long reply") }
            if parsed.last { return SMTPReply(code: parsed.code, lines: lines) }
        }
    }

    static func parse(_ line: String) -> (code: Int, last: Bool, text: String)? {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(bytes[0])
        else { return nil }
        let code = Int(bytes[0] - 48) * 100 + Int(bytes[1] - 48) * 10 + Int(bytes[2] - 48)
        if bytes.count == 3 { return (code, true, "") }
        switch bytes[3] {
        case UInt8(ascii: " "): return (code, true, String(decoding: bytes[4...], as: UTF8.self))
        case UInt8(ascii: "-"): return (code, false, String(decoding: bytes[4...], as: UTF8.self))
        default: return nil
        }
    }

    /// EHLO keywords (RFC 5321 §4.1.1.1): the first word of each line after the greeting, uppercased.
    var extensions: [String: [String]] {
        var out: [String: [String]] = [:]
        for line in lines.dropFirst() {
            let words = line.split(separator: " ").map { $0.uppercased() }
            if let keyword = words.first { out[keyword] = Array(words.dropFirst()) }
        }
        return out
    }
}
