import Foundation
import LogCore
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
