import Contracts
import Testing
import TestSupport

/// `FlatJSONObject` reads the gateway's usual request bodies without the general parser. Whatever
/// it accepts must read exactly as `JSONValue.parse` reads it (the oracle here); what it refuses
/// goes to that parser, so refusing is always safe, but the common bodies must be accepted or the
/// fast path is never taken.
@Suite struct FlatJSONObjectTests {
    /// The object `JSONValue.parse` makes of `text`, as a dictionary of strings; nil when it is not
    /// an object of strings.
    static func oracle(_ bytes: [UInt8]) -> [String: String]? {
        guard case .object(let object)? = JSONValue.parse(bytes) else { return nil }
        var out: [String: String] = [:]
        for (key, value) in object {
            guard case .string(let text) = value else { return nil }
            out[key] = text
        }
        return out
    }

    /// Accepted, then read field by field exactly as the parser reads the same bytes.
    static func expectAgrees(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let flat = FlatJSONObject(bytes) else { return }
        guard let expected = oracle(bytes) else {
            Issue.record("accepted what the parser does not read as an object of strings: \(bytes)", sourceLocation: sourceLocation)
            return
        }
        for (key, value) in expected {
            #expect(flat.string(key) == value, "key \(key) of \(String(decoding: bytes, as: UTF8.self))", sourceLocation: sourceLocation)
        }
        for absent in ["", "emai", "emailx", "verificationcode", "x"] where expected[absent] == nil {
            #expect(flat.string(absent) == nil, sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [
        #"{"email":"user@example.com","verificationCode":"123456"}"#,
        #"{"phone":"15551234567","verificationCode":"000000"}"#,
        #"{}"#, " {} ", "{ }",
        " \t\r\n{ \"email\" :\t\"a@b.co\" ,\n\"verificationCode\" : \"1\" } \n",
        #"{"email":"","verificationCode":""}"#,
        #"{"email":"first@x.io","email":"second@x.io"}"#,
        #"{"a":"b","c":"d","e":"f","g":"h","i":"j","k":"l"}"#,
        #"{"printable":" !#$%&'()*+,-./0123456789:;<=>?@AZ[]^_`az{|}~"}"#,
    ])
    func flatBodiesAreAcceptedAndReadAsTheParserReadsThem(_ text: String) throws {
        let bytes = Array(text.utf8)
        let flat = try #require(FlatJSONObject(bytes))
        let expected = try #require(Self.oracle(bytes))
        #expect(Set(expected.keys).count == expected.count)
        for (key, value) in expected { #expect(flat.string(key) == value) }
        Self.expectAgrees(bytes)
    }

    @Test func aRepeatedKeyReadsItsLastValueLikeTheParser() throws {
        let bytes = Array(#"{"email":"first@x.io","verificationCode":"1","email":"second@x.io"}"#.utf8)
        let flat = try #require(FlatJSONObject(bytes))
        #expect(flat.count == 3)
        #expect(flat.string("email") == "second@x.io")
        #expect(Self.oracle(bytes)?["email"] == "second@x.io")
    }

    /// Each of these is left to the general parser: valid JSON it does not read (escapes, non-ASCII,
    /// other value types, nesting, a top level that is not an object) and invalid JSON.
    @Test(arguments: [
        #"{"email":"a\"b@x.io"}"#, #"{"email":"a\\b"}"#, #"{"email":"\u0041"}"#, #"{"e\u006dail":"x"}"#,
        #"{"email":"üser@x.io"}"#, #"{"emäil":"x"}"#, "{\"email\":\"tab\there\"}", "{\"email\":\"del\u{7F}\"}",
        #"{"email":null}"#, #"{"email":1}"#, #"{"email":true}"#, #"{"email":["x"]}"#, #"{"email":{"a":"b"}}"#,
        #"["email"]"#, #""email""#, "null", "",
        "{", "}", #"{"email":"x",}"#, #"{"email":"x""#, #"{"email""x"}"#, #"{"email":"x"} x"#, #"{"email":"x"}}"#,
        #"{email:"x"}"#, #"{'email':'x'}"#, "\u{FEFF}{}", #"{"email":"x" "code":"y"}"#, "{,}", #"{"a":"b",,"c":"d"}"#,
    ])
    func everythingElseIsLeftToTheParser(_ text: String) {
        #expect(FlatJSONObject(Array(text.utf8)) == nil)
    }

    /// Random flat bodies (random keys, values, whitespace and repeats) are accepted and agree.
    @Test func generatedFlatBodiesAreAcceptedAndAgree() throws {
        var rng = SeededGenerator(seed: 0x5EED_F1A7)
        let whitespace: [[UInt8]] = [[], [0x20], [0x09], [0x0A], [0x0D], [0x20, 0x0A, 0x20]]
        let keys = ["email", "phone", "verificationCode", "a", "", "x y", "emailx"]
        for _ in 0..<2_000 {
            func ws() -> [UInt8] { whitespace[Int(rng.next() % UInt64(whitespace.count))] }
            func plain() -> [UInt8] {
                (0..<Int(rng.next() % 12)).map { _ in
                    var byte = UInt8(0x20 + rng.next() % 95)
                    while byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { byte = UInt8(0x20 + rng.next() % 95) }
                    return byte
                }
            }
            var body = ws() + [UInt8(ascii: "{")]
            let count = Int(rng.next() % 5)
            for index in 0..<count {
                if index > 0 { body += ws() + [UInt8(ascii: ",")] }
                let key = rng.next() % 3 == 0 ? plain() : Array(keys[Int(rng.next() % UInt64(keys.count))].utf8)
                body += ws() + [UInt8(ascii: "\"")] + key + [UInt8(ascii: "\"")] + ws() + [UInt8(ascii: ":")] + ws()
                body += [UInt8(ascii: "\"")] + plain() + [UInt8(ascii: "\"")]
            }
            body += ws() + [UInt8(ascii: "}")] + ws()
            let flat = try #require(FlatJSONObject(body), "refused \(String(decoding: body, as: UTF8.self))")
            #expect(flat.count == count)
            Self.expectAgrees(body)
        }
    }

    /// Bodies mutated a byte at a time (replaced, inserted, deleted, with bytes the scanner cares
    /// about): whatever it still accepts, it reads as the parser does.
    @Test func mutatedBodiesNeverDisagreeWithTheParser() {
        var rng = SeededGenerator(seed: 0xB0D1_E5)
        let seeds = [#"{"email":"user@example.com","verificationCode":"123456"}"#, #" { "phone" : "1555" , "a" : "" } "#, "{}"]
            .map { Array($0.utf8) }
        let interesting: [UInt8] = Array(#"{}[]:,"\ ntu0123456789.-e"#.utf8) + [0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x7F, 0x80, 0xC3, 0xA9, 0xFF]
        var accepted = 0
        for _ in 0..<20_000 {
            var body = seeds[Int(rng.next() % UInt64(seeds.count))]
            for _ in 0..<Int(1 + rng.next() % 3) {
                let byte = interesting[Int(rng.next() % UInt64(interesting.count))]
                let at = Int(rng.next() % UInt64(body.count + 1))
                switch rng.next() % 3 {
                case 0 where at < body.count: body[at] = byte
                case 1 where at < body.count: body.remove(at: at)
                default: body.insert(byte, at: at)
                }
            }
            if FlatJSONObject(body) != nil { accepted += 1 }
            Self.expectAgrees(body)
        }
        // Some mutations keep a flat body (a changed letter in a value): the comparison ran.
        #expect(accepted > 1_000)
    }
}
