import Testing

@testable import HTTPCore
import TestSupport

/// What a parser made of some bytes: the complete requests, then either the error that stopped it
/// or whether it was left holding part of a request.
struct ParseOutcome: Equatable, CustomStringConvertible {
    var requests: [HTTPRequest] = []
    var error: HTTPParserError?
    var partial = false

    var description: String {
        "requests: \(requests.map { "\($0.method) \($0.target) body \($0.body.count)B" }), error: \(String(describing: error)), partial: \(partial)"
    }
}


/// Joins lines with CRLF; pass "" last for the empty line ending a head.
func crlf(_ lines: String...) -> [UInt8] {
    Array(lines.joined(separator: "\r\n").utf8)
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func parse(chunks: [ArraySlice<UInt8>], limits: HTTPLimits = HTTPLimits()) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = ParseOutcome()
    for chunk in chunks {
        parser.append(chunk)
        do {
            while let request = try parser.nextRequest() { outcome.requests.append(request) }
        } catch {
            outcome.error = error
            return outcome
        }
    }
    outcome.partial = parser.hasPartialRequest
    return outcome
}

/// Cuts `input` into random chunks of 1...maxChunk bytes.
func randomChunks(_ input: [UInt8], seed: UInt64, maxChunk: Int) -> [ArraySlice<UInt8>] {
    var generator = SeededGenerator(seed: seed)
    var chunks: [ArraySlice<UInt8>] = []
    var start = 0
    while start < input.count {
        let size = Int.random(in: 1...maxChunk, using: &generator)
        let end = min(input.count, start + size)
        chunks.append(input[start..<end])
        start = end
    }
    return chunks
}

/// Parses `input` whole, one byte at a time, at every 2-way split (inputs up to `exhaustiveLimit`
/// bytes) and in random chunks, expects every result to be identical, and returns it.
@discardableResult
func parseEverySplit(
    _ input: [UInt8], limits: HTTPLimits = HTTPLimits(), exhaustiveLimit: Int = 700,
    sourceLocation: SourceLocation = #_sourceLocation
) -> ParseOutcome {
    let whole = parse(chunks: [input[...]], limits: limits)
    let byteByByte = parse(chunks: input.indices.map { input[$0...$0] }, limits: limits)
    #expect(byteByByte == whole, "byte by byte", sourceLocation: sourceLocation)
    if input.count <= exhaustiveLimit {
        let differing = (0...input.count).filter { cut in
            parse(chunks: [input[..<cut], input[cut...]], limits: limits) != whole
        }
        #expect(differing.isEmpty, "2-way splits at \(differing)", sourceLocation: sourceLocation)
    }
    for seed in UInt64(1)...5 {
        let chunks = randomChunks(input, seed: seed, maxChunk: max(2, input.count / 7))
        #expect(parse(chunks: chunks, limits: limits) == whole, "random chunks, seed \(seed)", sourceLocation: sourceLocation)
    }
    return whole
}

/// Parses `input` in every split and returns its single complete request, recording an issue if
/// there is not exactly one.
func parseOne(
    _ input: [UInt8], limits: HTTPLimits = HTTPLimits(), sourceLocation: SourceLocation = #_sourceLocation
) -> HTTPRequest? {
    let outcome = parseEverySplit(input, limits: limits, sourceLocation: sourceLocation)
    #expect(outcome.error == nil, "unexpected \(String(describing: outcome.error))", sourceLocation: sourceLocation)
    #expect(outcome.requests.count == 1, sourceLocation: sourceLocation)
    #expect(!outcome.partial, sourceLocation: sourceLocation)
    return outcome.requests.first
}
