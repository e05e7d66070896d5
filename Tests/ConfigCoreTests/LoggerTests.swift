import Foundation
@testable import LogCore
import Testing

@Suite struct LoggerTests {
    @Test func eachLineIsOneJSONObjectWithServiceLevelMessageAndFields() throws {
        let sink = MemorySink()
        let logger = Logger(service: "gateway", level: .info, sink: sink).with("rid", "abc")
        logger.info("request \"quoted\"\nnext", ["status": "204"])
        let line = try #require(sink.lines.first)
        #expect(line.hasSuffix("}\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["service"] as? String == "gateway")
        #expect(object["level"] as? String == "info")
        #expect(object["msg"] as? String == "request \"quoted\"\nnext")
        #expect(object["rid"] as? String == "abc")
        #expect(object["status"] as? String == "204")
        #expect((object["ts"] as? String)?.hasSuffix("Z") == true)
    }

    @Test func linesBelowTheLevelAreNotEvenBuilt() {
        let sink = MemorySink()
        let logger = Logger(service: "s", level: .warning, sink: sink)
        var built = false
        logger.info({ built = true; return "x" }())
        #expect(!built)
        #expect(sink.lines.isEmpty)
    }

    @Test func controlCharactersAreEscaped() {
        #expect(JSONText.quoted("a\u{01}b\\") == #""a\u0001b\\""#)
    }

    /// The no-escape fast path and the escaping path write the same literal a scalar-by-scalar
    /// writer would: text in any script untouched, only `"`, `\` and controls escaped.
    @Test func jsonStringsWithAndWithoutEscapes() {
        #expect(JSONText.quoted("Verification code not found. Please send verification code first.")
            == #""Verification code not found. Please send verification code first.""#)
        #expect(JSONText.quoted("Kód 验证码 🙂\u{7F}") == "\"Kód 验证码 🙂\u{7F}\"")
        #expect(JSONText.quoted("") == #""""#)
        #expect(JSONText.quoted("🙂 \"q\"\n\t\r\u{1F}") == #""🙂 \"q\"\n\t\r\u001f""#)
        var line = "{\"a\":"
        JSONText.appendString("b", to: &line)
        #expect(line == #"{"a":"b""#)
    }

    /// The byte-level writer against a scalar-at-a-time reference, on random strings mixing
    /// every byte class it treats apart: plain ASCII, `"`, `\`, each control, DEL, and 2-, 3- and
    /// 4-byte characters. Each literal also decodes back to its string.
    @Test func jsonStringsMatchAScalarAtATimeWriter() throws {
        func reference(_ value: String) -> String {
            var out = "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        var pool: [Unicode.Scalar] = (0..<0x20).map { Unicode.Scalar(UInt8($0)) }
        pool += ["a", "Z", "0", " ", "\"", "\\", "/", "\u{7F}", "é", "验", "🙂", "\u{2028}"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            var value = ""
            for _ in 0..<Int.random(in: 0...24, using: &generator) {
                value.unicodeScalars.append(pool.randomElement(using: &generator)!)
            }
            let literal = JSONText.quoted(value)
            #expect(literal == reference(value))
            var bytes = Array("x".utf8)
            JSONText.appendString(value, to: &bytes)
            #expect(bytes == Array(("x" + reference(value)).utf8))
            let decoded = try JSONDecoder().decode(String.self, from: Data(literal.utf8))
            #expect(decoded == value)
        }
    }

    @Test func identifiersAreMasked() {
        #expect(Redact.identifier("ada@example.com") == "a***@example.com")
        #expect(Redact.identifier("15551234567") == "***67")
        #expect(!Redact.identifier("15551234567").contains("5551234"))
        #expect(Redact.identifier("123") == "***")
    }

    @Test func concurrentWritersNeverInterleaveLines() async {
        let sink = MemorySink()
        let logger = Logger(service: "s", sink: sink)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<8 { group.addTask { for j in 0..<200 { logger.info("m\(i)-\(j)") } } }
        }
        #expect(sink.lines.count == 1600)
        #expect(sink.lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
    }
}
