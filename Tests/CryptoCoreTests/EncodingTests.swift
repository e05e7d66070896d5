import CryptoCore
import Testing

@Suite struct HexTests {
    @Test func encodesLowerCase() {
        #expect(Hex.encode([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
        #expect(Hex.encode([]) == "")
    }

    @Test func decodesEitherCase() {
        #expect(Hex.decode("000FA5ff") == [0x00, 0x0f, 0xa5, 0xff])
    }

    @Test(arguments: ["abc", "zz", "0g", " 00", "0x00"])
    func rejectsMalformedHex(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test func roundTripsRandomBytes() {
        for count in 0..<40 {
            let bytes = SecureRandom.bytes(count: count)
            #expect(Hex.decode(Hex.encode(bytes)) == bytes)
        }
    }
}

@Suite struct Base64URLTests {
    /// RFC 4648 §10 test vectors, without padding.
    @Test(arguments: [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"),
                      ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")])
    func rfc4648Vector(_ plain: String, _ encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test func usesTheUrlSafeAlphabet() {
        #expect(Base64URL.encode([0xfb, 0xff, 0xbf]) == "-_-_")
        #expect(Base64URL.decode("-_-_") == [0xfb, 0xff, 0xbf])
    }

    @Test func toleratesPadding() {
        #expect(Base64URL.decode("Zm8=") == Array("fo".utf8))
    }

    @Test(arguments: ["Z", "Zm9v+", "Zm9v/", "Zh", "a b"])
    func rejectsMalformedOrNonCanonicalText(_ text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test func roundTripsRandomBytes() {
        for count in 0..<40 {
            let bytes = SecureRandom.bytes(count: count)
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }
}
