import Foundation
import TestSupport
import Testing

@testable import RPCCore

/// Replays the committed libFuzzer seeds of `fuzz/corpus/rpc_frame`: every two-way split of each
/// seed decodes to the same frames (or the same failure) as the whole, and nothing traps.
@Suite struct FuzzCorpusTests {
    static let seeds = FuzzCorpus.seeds("rpc_frame")

    static func decode(_ chunks: [ArraySlice<UInt8>]) -> Result<[[UInt8]], FrameDecoder.Failure> {
        var decoder = FrameDecoder(maxFrameLength: 4096)
        return Result { () throws(FrameDecoder.Failure) in
            var frames: [[UInt8]] = []
            for chunk in chunks { frames += try decoder.feed(Array(chunk)) }
            return frames
        }
    }

    @Test func everySplitOfEverySeedDecodesLikeTheWhole() {
        #expect(Self.seeds.count >= 8)
        for seed in Self.seeds {
            let whole = Self.decode([seed.bytes[...]])
            for cut in 0...seed.bytes.count {
                #expect(Self.decode([seed.bytes[..<cut], seed.bytes[cut...]]) == whole, "\(seed.name) split at \(cut)")
            }
        }
    }

    @Test func scannedRequestIdsAgreeWithAFullDecode() {
        for seed in Self.seeds {
            guard case .success(let frames) = Self.decode([seed.bytes[...]]) else { continue }
            for frame in frames {
                guard let scanned = FrameHead.request(in: frame),
                      let head = try? JSONDecoder().decode(RPCRequestHeadProbe.self, from: Data(frame)) else { continue }
                #expect(scanned.id == head.id, "\(seed.name)")
                #expect(scanned.method == head.method, "\(seed.name)")
            }
        }
    }
}

/// The routing fields of a request frame, decoded the slow way.
private struct RPCRequestHeadProbe: Decodable {
    var id: UInt64
    var method: String
}
