#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ConfigCore

/// A mailbox (RFC 5322 §3.4): an optional display name and an address, as in `Passcode <no-reply@localhost>`.
struct MailAddress: Sendable, Equatable {
    var name: String?
    var address: String

    /// Parses `addr` or `Name <addr>`; nil when the address could break a header or an SMTP command.
    init?(_ text: String) {
        let trimmed = text.trimmingWhitespace()
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            let inner = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
            var display = trimmed[..<open].trimmingWhitespace()
            if display.count >= 2, display.hasPrefix("\""), display.hasSuffix("\"") { display = String(display.dropFirst().dropLast()) }
            guard MailAddress.isSafeAddress(inner), !display.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\"" })
            else { return nil }
            name = display.isEmpty ? nil : display
            address = String(inner)
        } else {
            guard MailAddress.isSafeAddress(trimmed[...]) else { return nil }
            name = nil
            address = trimmed
        }
    }

    /// An address we can put between angle brackets in `MAIL FROM`/`RCPT TO` (RFC 5321 §4.1.2) and in a
    /// header without injection: one `@`, no whitespace, controls or brackets.
    static func isSafeAddress(_ text: Substring) -> Bool {
        guard let at = text.firstIndex(of: "@"), at != text.startIndex, text.index(after: at) != text.endIndex,
              text.utf8.count <= 254
        else { return false }
        return !text.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7F || "<>()[],;:\\\"".unicodeScalars.contains($0) }
    }

    static func load(_ env: Environment) throws -> MailAddress {
        let raw = env.string("PASSCODE_EMAIL_FROM", default: "Passcode <no-reply@localhost>")
        guard let parsed = MailAddress(raw) else {
            throw ConfigError(variable: "PASSCODE_EMAIL_FROM", problem: "\"\(raw)\" is not an address like Name <user@host>")
        }
        return parsed
    }
}
