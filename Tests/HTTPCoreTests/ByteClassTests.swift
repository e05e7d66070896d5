import Testing

@testable import HTTPCore

/// The byte-class bitmasks against the RFC character sets they encode.
@Suite struct ByteClassTests {
    @Test func tokenBytesAreExactlyTchar() {
        // RFC 9110 §5.6.2
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        let mismatched = (0...255).map(UInt8.init).filter { ASCII.isToken($0) != tchar.contains($0) }
        #expect(mismatched.isEmpty)
    }

    @Test func targetBytesAreRFC3986CharactersWithoutFragment() {
        let allowed = Set("-._~:/?[]@!$&'()*+,;=%0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        let mismatched = (0...255).map(UInt8.init).filter { ASCII.isTargetByte($0) != allowed.contains($0) }
        #expect(mismatched.isEmpty)
    }

    @Test func fieldValueBytesExcludeControlsButNotObsText() {
        let mismatched = (0...255).map(UInt8.init).filter { byte in
            let expected = byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
            return ASCII.isFieldValueByte(byte) != expected
        }
        #expect(mismatched.isEmpty)
    }
}

/// Header names compare case-insensitively in ASCII only (RFC 9110 §5.1): the byte-buffer fast path
/// answers as the generic one does.
@Suite struct CaseInsensitiveEqualityTests {
    @Test(arguments: [
        ("Content-Length", "content-length", true), ("AUTHORIZATION", "authorization", true), ("", "", true),
        ("X-Request-Id", "X-Request-Ie", false), ("Host", "Hosts", false), ("a", "", false),
        ("Caf\u{E9}", "CAF\u{C9}", false),    // é and É differ outside ASCII
        ("Caf\u{E9}", "CAF\u{E9}", true), ("[\\]^_`", "{|}~\u{7F}@", false), ("@[`{", "@[`{", true),
    ])
    func stringsCompareLikeTheGenericPath(_ a: String, _ b: String, _ equal: Bool) {
        #expect(ASCII.equalsIgnoringCase(a, b) == equal)
        #expect(ASCII.equalsIgnoringCase(b, a) == equal)
        #expect(ASCII.equalsIgnoringCase(a[...], b[...]) == equal)
    }
}
