#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Builds the RFC 5322 message an SMTP delivery carries: `From`, `To`, `Subject` (RFC 2047 encoded
/// words when needed), `Date`, `Message-ID`, `MIME-Version`, and a multipart/alternative body
/// (RFC 2046 §5.1.4) with UTF-8 text/plain and text/html parts in quoted-printable (RFC 2045 §6.7).
/// Lines end in CRLF; dot-stuffing is the SMTP client's job.
struct MIMEMessage: Sendable {
    var from: MailAddress
    var to: String
    var subject: String
    var text: String
    var html: String?
    var messageId: String
    var date: String
    var boundary: String

    func rendered() -> String {
        var lines: [String] = []
        lines.append("From: " + Self.mailbox(from))
        lines.append("To: " + to)
        lines.append("Subject: " + Self.headerText(subject, nameLength: "Subject: ".count))
        lines.append("Date: " + date)
        lines.append("Message-ID: <\(messageId)>")
        lines.append("MIME-Version: 1.0")
        if let html {
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("This is a multi-part message in MIME format.")
            lines.append("--" + boundary)
            lines += Self.part(type: "text/plain", body: text)
            lines.append("--" + boundary)
            lines += Self.part(type: "text/html", body: html)
            lines.append("--" + boundary + "--")
        } else {
            lines += Self.part(type: "text/plain", body: text)
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private static func part(type: String, body: String) -> [String] {
        ["Content-Type: \(type); charset=UTF-8", "Content-Transfer-Encoding: quoted-printable", "", quotedPrintable(body)]
    }

    static func mailbox(_ address: MailAddress) -> String {
        guard let name = address.name, !name.isEmpty else { return address.address }
        let isPlainAtom = name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || " -_.".unicodeScalars.contains($0)) }
        let shown = isPlainAtom ? "\"\(name)\"" : encodedWords(name)
        return "\(shown) <\(address.address)>"
    }

    /// Header text as is when it is short printable ASCII, else as encoded words (RFC 2047 §2, §5).
    static func headerText(_ text: String, nameLength: Int) -> String {
        let printable = text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
        if printable && text.utf8.count + nameLength <= 78 && text.firstRange(of: "=?") == nil { return text }
        return encodedWords(text)
    }

    /// `=?UTF-8?B?…?=` words of at most 75 characters (RFC 2047 §2), never splitting a character,
    /// folded onto continuation lines (RFC 5322 §2.2.3).
    static func encodedWords(_ text: String) -> String {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            // 45 bytes → 60 base64 characters + 12 of framing = 72 ≤ 75.
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: "\r\n ")
    }

    /// Quoted-printable (RFC 2045 §6.7): line breaks kept as CRLF, lines at most 76 characters with soft
    /// breaks, `=` and non-ASCII bytes escaped, trailing white space escaped.
    static func quotedPrintable(_ text: String) -> String {
        let normalized = text.replacing("\r\n", with: "\n").replacing("\r", with: "\n")
        var out: [String] = []
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(line.utf8)
            var current = ""
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                let token: String
                if (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !isLast) {
                    token = String(UnicodeScalar(byte))
                } else {
                    token = "=" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
                }
                if current.count + token.count > 75 {
                    out.append(current + "=")
                    current = ""
                }
                current += token
            }
            out.append(current)
        }
        return out.joined(separator: "\r\n")
    }
}
