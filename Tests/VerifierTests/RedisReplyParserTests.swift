import Testing
@testable import VerifierService
import TestSupport

/// The RESP reply parser: incremental, strict, bounded (RESP spec; SwiftNIO's decoder discipline).
@Suite struct RedisReplyParserTests {
    /// A stream of replies covering every type, including binary bulk data with CR/LF inside.
    static let stream: [UInt8] = Array("""
        +OK\r
        -ERR wrong number of arguments\r
        :0\r
        :-9223372036854775808\r
        $5\r
        a\r\nb\u{1}\r
        $0\r
        \r
        $-1\r
        *-1\r
        *0\r
        *3\r
        :1\r
        *2\r
        +x\r
        $3\r
        abc\r
        *1\r
        *0\r
        _\r
        #t\r
        #f\r
        ,3.25\r
        ,-inf\r
        (12345678901234567890\r
        !9\r
        SYNTAX xy\r
        =8\r
        txt:text\r
        %1\r
        +key\r
        :7\r
        ~2\r
        :1\r
        :2\r
        |1\r
        +ttl\r
        :3\r
        +after-attributes\r
        >2\r
        +message\r
        $2\r
        hi\r

        """.utf8)

    static let expected: [RedisValue] = [
        .simple("OK"),
        .error("ERR wrong number of arguments"),
        .integer(0),
        .integer(.min),
        .bulk(Array("a\r\nb\u{1}".utf8)),
        .bulk([]),
        .null,
        .null,
        .array([]),
        .array([.integer(1), .array([.simple("x"), .bulk(Array("abc".utf8))]), .array([.array([])])]),
        .null,
        .boolean(true),
        .boolean(false),
        .double(3.25),
        .double(-.infinity),
        .bigNumber("12345678901234567890"),
        .error("SYNTAX xy"),
        .bulk(Array("text".utf8)),
        .map([.simple("key"), .integer(7)]),
        .array([.integer(1), .integer(2)]),
        .simple("after-attributes"),
        .push([.simple("message"), .bulk(Array("hi".utf8))]),
    ]

    /// Feeds `chunks` in order, draining after each; every reply parsed.
    static func parse(_ chunks: [ArraySlice<UInt8>], limits: RedisReplyParser.Limits = .init()) throws -> [RedisValue] {
        var parser = RedisReplyParser(limits: limits)
        var out: [RedisValue] = []
        for chunk in chunks {
            parser.append(chunk)
            while let value = try parser.next() { out.append(value) }
        }
        #expect(parser.pendingByteCount == 0)
        return out
    }

    @Test func wholeStreamAtOnceParsesEveryType() throws {
        #expect(try Self.parse([Self.stream[...]]) == Self.expected)
    }

    @Test func everySplitIntoTwoGivesTheSameReplies() throws {
        for cut in 0...Self.stream.count {
            let replies = try Self.parse([Self.stream[..<cut], Self.stream[cut...]])
            #expect(replies == Self.expected, "split at \(cut)")
        }
    }

    @Test func oneByteAtATimeGivesTheSameReplies() throws {
        #expect(try Self.parse(Self.stream.map { [$0][...] }) == Self.expected)
    }

    @Test func randomChunksGiveTheSameReplies() throws {
        var random = SeededGenerator(seed: 42)
        for _ in 0..<200 {
            var chunks: [ArraySlice<UInt8>] = []
            var index = 0
            while index < Self.stream.count {
                let size = Int(random.next() % 17) + 1
                chunks.append(Self.stream[index..<min(index + size, Self.stream.count)])
                index += size
            }
            #expect(try Self.parse(chunks) == Self.expected)
        }
    }

    @Test func incompleteReplyIsNotConsumed() throws {
        var parser = RedisReplyParser()
        parser.append(Array("*2\r\n$5\r\nhel".utf8))
        #expect(try parser.next() == nil)
        #expect(parser.pendingByteCount == 11)
        parser.append(Array("lo\r\n:4".utf8))
        #expect(try parser.next() == nil)
        parser.append(Array("\r\n".utf8))
        #expect(try parser.next() == .array([.bulk(Array("hello".utf8)), .integer(4)]))
        #expect(try parser.next() == nil)
    }

    @Test func bulkOverTheLimitFailsBeforeItsBodyArrives() {
        var parser = RedisReplyParser(limits: .init(maxBulkLength: 1024))
        parser.append(Array("$1025\r\n".utf8))
        #expect(throws: RedisError.self) { try parser.next() }
    }

    @Test func bulkAtTheLimitIsAccepted() throws {
        var parser = RedisReplyParser(limits: .init(maxBulkLength: 4))
        parser.append(Array("$4\r\nabcd\r\n".utf8))
        #expect(try parser.next() == .bulk(Array("abcd".utf8)))
    }

    @Test func hugeAnnouncedArrayFailsBeforeItsElementsArrive() {
        var parser = RedisReplyParser()
        parser.append(Array("*2000000000\r\n".utf8))
        #expect(throws: RedisError.self) { try parser.next() }
    }

    @Test func elementsAreCountedAcrossTheWholeReply() {
        var parser = RedisReplyParser(limits: .init(maxElements: 5))
        parser.append(Array("*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*3\r\n".utf8))
        #expect(throws: RedisError.self) { try parser.next() }
    }

    @Test func nestingDeeperThanTheLimitFails() {
        var parser = RedisReplyParser(limits: .init(maxDepth: 4))
        parser.append(Array((String(repeating: "*1\r\n", count: 5) + ":1\r\n").utf8))
        #expect(throws: RedisError.self) { try parser.next() }
        var shallow = RedisReplyParser(limits: .init(maxDepth: 4))
        shallow.append(Array((String(repeating: "*1\r\n", count: 4) + ":1\r\n").utf8))
        #expect((try? shallow.next()) != nil)
    }

    @Test func overlongLineFailsWithoutWaitingForItsEnd() {
        var parser = RedisReplyParser(limits: .init(maxLineLength: 16))
        parser.append(Array(("+" + String(repeating: "a", count: 17)).utf8))
        #expect(throws: RedisError.self) { try parser.next() }
    }

    @Test func incompleteReplyBeyondThePendingLimitFails() {
        var parser = RedisReplyParser(limits: .init(maxPendingBytes: 64))
        parser.append(Array(("*100\r\n" + String(repeating: ":1\r\n", count: 20)).utf8))
        #expect(throws: RedisError.self) { try parser.next() }
    }

    @Test(arguments: [
        "?what\r\n", ":12a\r\n", ":\r\n", ":+1\r\n", ": 1\r\n", ":99999999999999999999\r\n", "$-2\r\n", "*-5\r\n",
        "$3\r\nabcd\r\n", "$x\r\n", "+ok\rX", "+ok\n", "-err\n\r\n", "#x\r\n", "#\r\n", ",abc\r\n", ",0x10\r\n",
        "(12a\r\n", "(\r\n", "=3\r\nabc\r\n", "_x\r\n", "%-1\r\n", "~-1\r\n", "!-1\r\n", "\r\n", "\u{0}",
    ])
    func malformedReplyIsAProtocolViolation(_ text: String) {
        var parser = RedisReplyParser()
        parser.append(Array(text.utf8))
        #expect {
            try parser.next()
        } throws: { error in
            guard case .protocolViolation = error as? RedisError else { return false }
            return true
        }
    }

    @Test func randomGarbageNeverCrashes() {
        var random = SeededGenerator(seed: 7)
        let alphabet = Array("+-:$*_#,(!=%~>|\r\n0123456789-tfabc".utf8)
        var outcomes = (values: 0, failures: 0, incomplete: 0)
        for _ in 0..<20_000 {
            var parser = RedisReplyParser(limits: .init(maxBulkLength: 64, maxLineLength: 64, maxElements: 64, maxDepth: 8,
                                                        maxPendingBytes: 256))
            let length = Int(random.next() % 40)
            parser.append((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
            do {
                while try parser.next() != nil { outcomes.values += 1 }
                outcomes.incomplete += 1
            } catch {
                outcomes.failures += 1
            }
        }
        #expect(outcomes.failures > 0 && outcomes.values > 0 && outcomes.incomplete > 0)
    }

    @Test func commandsAreEncodedAsArraysOfBulkStrings() {
        var out: [UInt8] = []
        RedisCommand("SET", "k", "").encode(into: &out)
        RedisCommand([[0, 13, 10]]).encode(into: &out)
        #expect(out == Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n".utf8) + Array("*1\r\n$3\r\n".utf8) + [0, 13, 10, 13, 10])
    }

    @Test func encodedCommandParsesBackAsTheSameArguments() throws {
        let command = RedisCommand(["EVALSHA", "abc", "2", "{x}:a", "ü\r\n", String(repeating: "z", count: 300)])
        var bytes: [UInt8] = []
        command.encode(into: &bytes)
        var parser = RedisReplyParser()
        parser.append(bytes)
        #expect(try parser.next() == .array(command.arguments.map(RedisValue.bulk)))
    }
}

