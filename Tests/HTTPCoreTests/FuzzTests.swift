import TestSupport
import Testing

@testable import HTTPCore

/// Arbitrary and mutated inputs: nothing crashes or hangs, and the outcome never depends on how
/// the bytes were split.
@Suite struct FuzzTests {
    static let corpus: [[UInt8]] = [
        crlf("GET /healthz HTTP/1.1", "Host: x", "", ""),
        crlf("POST /api/verification-codes HTTP/1.1", "Host: x", "Content-Length: 17", "Connection: close", "",
             #"{"email":"a@b.c"}"#),
        crlf("POST / HTTP/1.1", "Host: x", "Transfer-Encoding: chunked", "", "3;e=1", "abc", "0", "T: v", "", ""),
        crlf("GET /a?b HTTP/1.0", "Cookie: a=1; b=2", "", "") + crlf("GET /2 HTTP/1.1", "Host: y", "", ""),
    ]

    static let interesting: [UInt8] = Array(" \t\r\n:;,=\"\\0aZ%/?*\u{7F}".utf8) + [0x00, 0x01, 0x80, 0xFF]

    static func mutate(_ input: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
            let byte = Bool.random(using: &generator)
                ? interesting.randomElement(using: &generator)!
                : UInt8.random(in: 0...255, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0 where !bytes.isEmpty: bytes[position] = byte
            case 1: bytes.insert(byte, at: position)
            case 2 where !bytes.isEmpty: bytes.remove(at: position)
            default:
                let end = min(bytes.count, position + Int.random(in: 1...8, using: &generator))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            }
        }
        return bytes
    }

    @Test func mutatedRequestsParseTheSameInEverySplit() {
        var generator = SeededGenerator(seed: 0xC0FFEE)
        var mismatches = 0
        for round in 0..<1500 {
            let input = Self.mutate(Self.corpus[round % Self.corpus.count], using: &generator)
            HTTPRequestParser.fuzz(input)
            let whole = parse(chunks: [input[...]])
            let byteByByte = parse(chunks: input.indices.map { input[$0...$0] })
            let random = parse(chunks: randomChunks(input, seed: UInt64(round), maxChunk: 9))
            if byteByByte != whole || random != whole { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func randomBytesNeverCrashAndAlwaysEndInAnErrorOrAWait() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<1500 {
            let count = Int.random(in: 0...300, using: &generator)
            let input = (0..<count).map { _ in
                Bool.random(using: &generator)
                    ? Self.interesting.randomElement(using: &generator)!
                    : UInt8.random(in: 0...255, using: &generator)
            }
            HTTPRequestParser.fuzz(input)
            let outcome = parse(chunks: [input[...]])
            #expect(outcome.error != nil || outcome.partial || !outcome.requests.isEmpty || input.isEmpty)
        }
    }

    @Test func fuzzEntryHandlesEdgeInputs() {
        let inputs: [[UInt8]] = [[], [0], [0x0D], [0x0A], Array(repeating: 0x0D, count: 20_000), Array(repeating: 0x41, count: 70_000)]
        for input in inputs {
            HTTPRequestParser.fuzz(input)
            let outcome = parse(chunks: [input[...]])
            #expect(outcome.requests.isEmpty)
        }
    }
}
