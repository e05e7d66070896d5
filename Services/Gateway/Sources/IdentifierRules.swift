import Contracts

/// The identifier patterns of API.md §1.
enum IdentifierRules {
    static let maxEmailLength = 256
    static let maxPhoneDigits = 15

    /// `^\S+@\S+\.\S+$`, at most 256 characters.
    static func isValidEmail(_ value: String) -> Bool {
        // Nearly every address is ASCII: one pass over the bytes, no scalar array, no grapheme count.
        if let verdict = value.utf8.withContiguousStorageIfAvailable(asciiEmailVerdict), let verdict { return verdict }
        return unicodeEmailVerdict(value)
    }

    /// The verdict for an all-ASCII `value`, nil if it has a byte beyond ASCII. For ASCII the
    /// character count is the byte count (the one exception, CR LF, is white space and fails anyway).
    static func asciiEmailVerdict(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        var at = -1
        var dot = -1
        for (index, byte) in bytes.enumerated() {
            if byte >= 0x80 { return nil }
            if ASCIIWhiteSpace.contains(byte) { return false }
            if byte == UInt8(ascii: "@"), at < 0 { at = index }
            if byte == UInt8(ascii: ".") { dot = index }
        }
        guard !bytes.isEmpty, bytes.count <= maxEmailLength, at >= 1, dot >= 0 else { return false }
        return dot >= at + 2 && dot <= bytes.count - 2
    }

    /// The general rule, over Unicode scalars.
    static func unicodeEmailVerdict(_ value: String) -> Bool {
        let scalars = Array(value.unicodeScalars)
        guard !scalars.isEmpty, value.count <= maxEmailLength, !scalars.contains(where: isWhitespace),
              let at = scalars.firstIndex(of: "@"), at >= 1,
              let dot = scalars.lastIndex(of: ".") else { return false }
        return dot >= at + 2 && dot <= scalars.count - 2
    }

    /// `^\d+$` (ASCII digits), at most 15 of them (E.164 without the `+`).
    static func isValidPhone(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= maxPhoneDigits && value.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    static func isValid(_ identifier: Identifier) -> Bool {
        identifier.type == .email ? isValidEmail(identifier.value) : isValidPhone(identifier.value)
    }

    /// JavaScript's `\s`: Unicode white space plus the BOM.
    private static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s.properties.isWhitespace || s == "\u{FEFF}"
    }
}
