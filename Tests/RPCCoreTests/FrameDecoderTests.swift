import Contracts
import Testing
@testable import RPCCore
import TestSupport

@Suite struct FrameDecoderTests {
    static let bodies: [[UInt8]] = [[0x7b], Array(repeating: 0x61, count: 300), Array("{\"v\":1}".utf8), (0..<70).map { UInt8($0) }]
    static let stream: [UInt8] = bodies.flatMap { try! FrameEncoder.frame($0) }

    private func decode(_ chunks: [ArraySlice<UInt8>]) throws -> [[UInt8]] {
        var decoder = FrameDecoder()
        var frames: [[UInt8]] = []
        for chunk in chunks { frames += try decoder.feed(Array(chunk)) }
        #expect(decoder.isIdle)
        return frames
    }

    @Test func wholeInputAtOnce() throws {
        #expect(try decode([Self.stream[...]]) == Self.bodies)
    }

    @Test func oneByteAtATime() throws {
        #expect(try decode(Self.stream.indices.map { Self.stream[$0...$0] }) == Self.bodies)
    }

    @Test func everyTwoWaySplit() throws {
        for cut in 0...Self.stream.count {
            #expect(try decode([Self.stream[..<cut], Self.stream[cut...]]) == Self.bodies, "split at \(cut)")
        }
    }

    @Test func everyThreeWaySplitAroundTheSmallFrames() throws {
        // All cut pairs within the first 40 bytes and the last 80: every header/body boundary.
        let count = Self.stream.count
        let cuts = Array(0...40) + Array((count - 80)...count)
        for a in cuts {
            for b in cuts where b >= a {
                #expect(try decode([Self.stream[..<a], Self.stream[a..<b], Self.stream[b...]]) == Self.bodies)
            }
        }
    }

    @Test(arguments: [1, 7, 42, 1234, 99999])
    func randomChunks(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        var chunks: [ArraySlice<UInt8>] = []
        var index = 0
        while index < Self.stream.count {
            let size = Int(generator.next() % 40) + 1
            let end = min(Self.stream.count, index + size)
            chunks.append(Self.stream[index..<end])
            index = end
        }
        #expect(try decode(chunks) == Self.bodies)
    }

    @Test func zeroLengthIsFatal() {
        var decoder = FrameDecoder()
        #expect(throws: FrameDecoder.Failure.badLength(0)) { try decoder.feed([0, 0, 0, 0, 0x7b]) }
        // The stream stays failed.
        #expect(throws: FrameDecoder.Failure.badLength(0)) { try decoder.feed([0, 0, 0, 1, 0x7b]) }
    }

    @Test func lengthAboveOneMebibyteIsRejectedFromTheHeaderAlone() {
        var decoder = FrameDecoder()
        let length = RPCProtocol.maxFrameLength + 1
        let header: [UInt8] = [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)]
        #expect(throws: FrameDecoder.Failure.badLength(length)) { try decoder.feed(header) }
    }

    @Test func hugeLengthIsRejected() {
        var decoder = FrameDecoder()
        #expect(throws: FrameDecoder.Failure.badLength(Int(UInt32.max))) { try decoder.feed([0xff, 0xff, 0xff, 0xff]) }
    }

    @Test func exactlyOneMebibyteIsAccepted() throws {
        let body = [UInt8](repeating: 0x20, count: RPCProtocol.maxFrameLength)
        let framed = try FrameEncoder.frame(body)
        var decoder = FrameDecoder()
        let half = framed.count / 2
        #expect(try decoder.feed(Array(framed[..<half])).isEmpty)
        let frames = try decoder.feed(Array(framed[half...]))
        #expect(frames.count == 1)
        #expect(frames.first?.count == RPCProtocol.maxFrameLength)
    }

    @Test func encoderRefusesEmptyAndOversizedBodies() {
        #expect(throws: FrameEncoder.TooLarge.self) { try FrameEncoder.frame([UInt8]()) }
        #expect(throws: FrameEncoder.TooLarge.self) {
            try FrameEncoder.frame([UInt8](repeating: 0, count: RPCProtocol.maxFrameLength + 1))
        }
    }

    @Test func headScannerReadsOurPrefixAndDefersOtherwise() {
        #expect(FrameHead.request(in: Array(#"{"v":1,"id":42,"method":"code.verify","params":{}}"#.utf8))?.method == "code.verify")
        #expect(FrameHead.request(in: Array(#"{"v":1,"id":42,"method":"code.verify","params":{}}"#.utf8))?.id == 42)
        #expect(FrameHead.id(in: Array(#"{"v":1,"id":7}"#.utf8))?.id == 7)
        #expect(FrameHead.id(in: Array(#"{"id":7,"v":1}"#.utf8)) == nil)
        #expect(FrameHead.id(in: Array(#"{"v":1,"id":99999999999999999999999,"x":1}"#.utf8)) == nil)
        #expect(FrameHead.request(in: Array(#"{"v":1,"id":1,"method":"a\"b","params":{}}"#.utf8)) == nil)
    }
}

