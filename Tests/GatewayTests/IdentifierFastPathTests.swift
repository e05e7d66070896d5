@testable import Contracts
@testable import GatewayService
import Testing

/// The ASCII fast paths of the email rule and of email normalization give what the Unicode paths
/// give, for every string built from the bytes that matter to them (white space of each kind,
/// upper and lower case, `@`, `.`), up to five long, and around the length limit.
@Suite struct IdentifierFastPathTests {
    static let alphabet: [String] = ["a", "Z", "0", "@", ".", " ", "\t", "\n", "\u{0B}", "\u{0C}", "\r", "\r\n", "_", "+"]

    static var strings: [String] {
        var all = [""]
        var level = [""]
        for _ in 0..<5 {
            level = level.flatMap { prefix in alphabet.map { prefix + $0 } }
            all += level
        }
        let long = String(repeating: "x", count: 250)
        all += [long + "@b.co", long + "a@b.co", long + "ab@b.co", long + "@b.c ", long + "@B.CO\r\n"]
        return all
    }

    @Test func emailVerdictMatchesTheUnicodeRule() {
        var checked = 0
        for value in Self.strings {
            let fast = Array(value.utf8).withUnsafeBufferPointer(IdentifierRules.asciiEmailVerdict)
            #expect(fast == IdentifierRules.unicodeEmailVerdict(value), "\(value.debugDescription)")
            #expect(IdentifierRules.isValidEmail(value) == IdentifierRules.unicodeEmailVerdict(value))
            checked += 1
        }
        #expect(checked > 500_000)
    }

    @Test func emailNormalizationMatchesTheUnicodeRule() {
        for value in Self.strings {
            let fast = Array(value.utf8).withUnsafeBufferPointer(Identifier.normalizedASCIIEmail)
            #expect(fast == Identifier.normalizedUnicodeEmail(value), "\(value.debugDescription)")
        }
    }

    @Test func beyondASCIITheUnicodePathDecides() {
        #expect(Array("ü@ß.de".utf8).withUnsafeBufferPointer(IdentifierRules.asciiEmailVerdict) == nil)
        #expect(IdentifierRules.isValidEmail("ü@ß.de"))
        #expect(!IdentifierRules.isValidEmail("a@b\u{00A0}.co"))
        #expect(!IdentifierRules.isValidEmail("a@b\u{FEFF}.co"))
        #expect(Identifier(type: .email, value: " Ü@X.DE\u{00A0}").normalized == "ü@x.de")
        #expect(Identifier(type: .email, value: " A@X.DE\t").normalized == "a@x.de")
    }
}
