import CryptoCore
import Testing

/// FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf", "SHA2_Additional").
@Suite struct SHA256Tests {
    @Test func emptyMessage() {
        #expect(Hex.encode(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func abc() {
        #expect(Hex.encode(SHA256.hash("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func fourHundredFortyEightBitMessage() {
        let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(Hex.encode(SHA256.hash(message)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// The bytes, the string and the raw-buffer forms hash the same UTF-8, across a block boundary.
    @Test func everyInputFormGivesTheSameDigest() {
        for text in ["", "abc", "é ключ 🔑", String(repeating: "x", count: 55), String(repeating: "y", count: 64),
                     String(repeating: "z", count: 200)] {
            let bytes = Array(text.utf8)
            let expected = SHA256.hash(bytes)
            #expect(SHA256.hash(text) == expected)
            #expect(bytes.withUnsafeBytes { SHA256.hash($0) } == expected)
        }
        // FIPS 180-4's 896-bit message (two blocks) through the string form.
        let message = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        #expect(Hex.encode(SHA256.hash(message)) == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    @Test func oneMillionLetterA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Hex.encode(SHA256.hash(message)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

/// RFC 4231 §4.2–§4.8, HMAC-SHA-256 column.
@Suite struct HMACTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var key: [UInt8]
        var data: [UInt8]
        var mac: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(name: "case 1", key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8),
               mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        Vector(name: "case 2", key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
               mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        Vector(name: "case 3", key: [UInt8](repeating: 0xaa, count: 20), data: [UInt8](repeating: 0xdd, count: 50),
               mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        Vector(name: "case 4", key: Array(1...25), data: [UInt8](repeating: 0xcd, count: 50),
               mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        Vector(name: "case 6", key: [UInt8](repeating: 0xaa, count: 131),
               data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
               mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        Vector(name: "case 7", key: [UInt8](repeating: 0xaa, count: 131),
               data: Array(("This is a test using a larger than block-size key and a larger than block-size data. "
                   + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
               mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]

    @Test(arguments: vectors)
    func rfc4231Vector(_ vector: Vector) {
        #expect(Hex.encode(HMAC.sha256(key: vector.key, message: vector.data)) == vector.mac)
    }

    /// Case 5 specifies only the first 128 bits of the output (RFC 4231 §4.6).
    @Test func rfc4231Case5Truncated() {
        let mac = HMAC.sha256(key: [UInt8](repeating: 0x0c, count: 20), message: "Test With Truncation")
        #expect(Hex.encode(Array(mac.prefix(16))) == "a3b6167473100ee06e0c796c2955552b")
    }

    @Test func emptyKeyAndMessageGiveTheDefinedMac() {
        // HMAC_SHA256("", "") is a well-known constant.
        #expect(Hex.encode(HMAC.sha256(key: [], message: []))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }
}

@Suite struct ConstantTimeTests {
    @Test func equalInputsCompareEqual() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(ConstantTime.equals([], []))
    }

    @Test func anyDifferingByteCompareUnequal() {
        let base = SecureRandom.bytes(count: 32)
        for i in base.indices {
            var other = base
            other[i] ^= 0x01
            #expect(!ConstantTime.equals(base, other))
        }
    }

    @Test func differentLengthsCompareUnequal() {
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equals([], [0]))
        #expect(!ConstantTime.equals([0], []))
        // A prefix is not equal, whether it ends on the eight-byte stride or not.
        let long = SecureRandom.bytes(count: 40)
        for count in [0, 7, 8, 9, 16, 31, 32, 39] {
            #expect(!ConstantTime.equals(Array(long[..<count]), long))
            #expect(!ConstantTime.equals(long, Array(long[..<count])))
        }
    }

    /// Every length from 0 to 40 (the word loop, the byte tail, both), and a flipped bit at every
    /// position and in every bit of a byte: the comparison sees each of them.
    @Test func everyLengthAndEveryBitAcrossTheWordStride() {
        for count in 0...40 {
            let base = SecureRandom.bytes(count: count)
            #expect(ConstantTime.equals(base, Array(base)))
            for i in 0..<count {
                for bit in 0..<8 {
                    var other = base
                    other[i] ^= UInt8(1) << UInt8(bit)
                    #expect(!ConstantTime.equals(base, other), "length \(count), byte \(i), bit \(bit)")
                }
            }
        }
    }
}

/// `HMAC.SHA256Key`: the keyed context reused per key (profile finding 4) gives the same MACs as
/// the one-shot function, from any number of threads at once.
@Suite struct HMACKeyTests {
    @Test(arguments: HMACTests.vectors)
    func rfc4231VectorWithAKeyedContext(_ vector: HMACTests.Vector) {
        #expect(Hex.encode(HMAC.SHA256Key(vector.key).mac(vector.data)) == vector.mac)
    }

    @Test func oneKeyGivesTheSameMacEveryTime() {
        let key = HMAC.SHA256Key(Array("Jefe".utf8))
        let message = Array("what do ya want for nothing?".utf8)
        #expect(key.mac(message) == key.mac(message))
        #expect(Hex.encode(key.mac(message)) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func partsMacAsTheirConcatenation() {
        let secret = Array("secret-A-0123456789abcdef".utf8)
        let key = HMAC.SHA256Key(secret)
        #expect(key.mac(utf8: "0123456789abcdefghijklmnop", "123456")
                == HMAC.sha256(key: secret, message: "0123456789abcdefghijklmnop123456"))
        #expect(key.mac(utf8: "", "") == key.mac([]))
    }

    @Test func rfc4231Case5TruncatedWithAKeyedContext() {
        let mac = HMAC.SHA256Key([UInt8](repeating: 0x0c, count: 20)).mac(utf8: "Test With Truncation")
        #expect(Hex.encode(Array(mac.prefix(16))) == "a3b6167473100ee06e0c796c2955552b")
    }

    @Test func emptyKeyAndMessageGiveTheDefinedMac() {
        #expect(Hex.encode(HMAC.SHA256Key([]).mac([]))
                == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test func concurrentMacsUnderOneKeyAllMatchTheOneShot() async {
        let secret = Array("shared-key-0123456789".utf8)
        let key = HMAC.SHA256Key(secret)
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var bad = 0
                    for n in 0..<500 {
                        let message = Array("task \(task) message \(n)".utf8)
                        if key.mac(message) != HMAC.sha256(key: secret, message: message) { bad += 1 }
                    }
                    return bad
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}
