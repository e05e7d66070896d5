@testable import CryptoCore
import Testing

@Suite struct SecureRandomTests {
    @Test func bytesHaveTheRequestedCount() {
        #expect(SecureRandom.bytes(count: 0).isEmpty)
        #expect(SecureRandom.bytes(count: 1).count == 1)
        #expect(SecureRandom.bytes(count: 1000).count == 1000)
    }

    @Test func bytesDifferBetweenCalls() {
        #expect(SecureRandom.bytes(count: 32) != SecureRandom.bytes(count: 32))
    }

    /// Small draws come from a pool: across many refills, with sizes that end exactly at, just
    /// before and just after its end, no 8-byte window of the drawn stream repeats (a pool that
    /// handed bytes out twice, or served a stale or zeroed stretch, would repeat one), the sizes
    /// are right, and bytes are roughly uniform. Large draws bypass it.
    @Test func pooledDrawsNeverRepeatAcrossRefills() {
        var stream: [UInt8] = []
        var sizes = [SecureRandom.poolSize / 2, SecureRandom.poolSize / 2, 1, SecureRandom.pooledDrawLimit]
        for index in 0..<4_000 { sizes.append(1 + (index * 7) % SecureRandom.pooledDrawLimit) }
        for size in sizes {
            let draw = SecureRandom.bytes(count: size)
            #expect(draw.count == size)
            stream += draw
        }
        #expect(stream.count > 50 * SecureRandom.poolSize)
        var windows = Set<UInt64>()
        for start in stride(from: 0, to: stream.count - 8, by: 1) {
            let window = stream[start..<(start + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(windows.insert(window).inserted, "8 bytes at \(start) repeat")
        }
        var counts = [Int](repeating: 0, count: 256)
        for byte in stream { counts[Int(byte)] += 1 }
        #expect(chiSquare(counts) < 400, "chi-square over bytes: \(chiSquare(counts))")
        let large = SecureRandom.bytes(count: SecureRandom.pooledDrawLimit + 1)
        #expect(large.count == SecureRandom.pooledDrawLimit + 1)
        #expect(Set(large).count > 20)
    }

    @Test(arguments: [1, 4, 6, 10, 64])
    func digitsHaveTheRequestedLengthAndOnlyDigits(_ count: Int) {
        let code = SecureRandom.digits(count: count)
        #expect(code.count == count)
        #expect(code.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
    }

    /// Pearson's chi-square over 200,000 digits, 9 degrees of freedom. A fair source exceeds 45
    /// with probability about 1e-6, while a `byte % 10` bias (digits 0–5 at 26/256 instead of
    /// 25.6/256) pushes the expected statistic to about 73 at this sample size.
    @Test func digitsAreUniform() {
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<20_000 {
            for c in SecureRandom.digits(count: 10).utf8 { counts[Int(c - UInt8(ascii: "0"))] += 1 }
        }
        let statistic = chiSquare(counts)
        #expect(statistic < 45, "chi-square \(statistic) for \(counts)")
    }

    @Test func identifierHasDefaultLength26OverLowercaseAlphanumerics() {
        let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        for _ in 0..<1000 {
            let id = SecureRandom.identifier()
            #expect(id.utf8.count == 26)
            #expect(id.utf8.allSatisfy { alphabet.contains($0) })
        }
    }

    @Test func identifierHonoursRequestedLength() {
        #expect(SecureRandom.identifier(length: 21).count == 21)
        #expect(SecureRandom.identifier(length: 0).isEmpty)
    }

    /// 35 degrees of freedom; a fair source exceeds 85 with probability about 5e-6, while a
    /// `byte % 36` bias (symbols 0–3 at 8/256 instead of 7.11/256) gives several hundred.
    @Test func identifierSymbolsAreUniform() {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        var counts = [Int](repeating: 0, count: alphabet.count)
        for _ in 0..<10_000 {
            for c in SecureRandom.identifier().utf8 {
                if let index = alphabet.firstIndex(of: c) { counts[index] += 1 }
            }
        }
        let statistic = chiSquare(counts)
        #expect(statistic < 85, "chi-square \(statistic) for \(counts)")
    }

    @Test func identifiersDoNotRepeat() {
        var seen = Set<String>()
        for _ in 0..<10_000 { seen.insert(SecureRandom.identifier()) }
        #expect(seen.count == 10_000)
    }

    @Test func timeOrderedIdentifierIsNineTimeDigitsThenTwentySixRandomOnes() {
        let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        let id = SecureRandom.timeOrderedIdentifier(unixTime: 1_764_000_000.123)
        #expect(id.utf8.count == 35)
        #expect(id.utf8.allSatisfy { alphabet.contains($0) })
        #expect(Int(id.prefix(9), radix: 36) == 1_764_000_000_123)
        // 1.001 s is 1000.999… ms in binary: still its own millisecond, not the one before.
        #expect(Int(SecureRandom.timeOrderedIdentifier(unixTime: 1.001).prefix(9), radix: 36) == 1001)
    }

    /// String order is time order, across a change in the number of significant digits too.
    @Test func timeOrderedIdentifiersSortByTheirTime() {
        let times: [Double] = [0, 0.035, 0.036, 1, 1.001, 1_700_000_000, 1_700_000_000.001, 1_764_000_000.5, 4_000_000_000]
        let ids = times.map { SecureRandom.timeOrderedIdentifier(unixTime: $0) }
        #expect(ids == ids.sorted())
        #expect(ids[1].prefix(9) == "00000000z" && ids[2].prefix(9) == "000000010")
    }

    /// Two ids of the same millisecond share the prefix and nothing else is shared on purpose: the
    /// random part carries what an unordered id does.
    @Test func timeOrderedIdentifiersOfOneMillisecondDiffer() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = SecureRandom.timeOrderedIdentifier(unixTime: 1_764_000_000)
            #expect(id.hasPrefix("0midc1z40"))
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }

    @Test func timeOrderedIdentifierClampsTimesOutOfRange() {
        #expect(SecureRandom.timeOrderedIdentifier(unixTime: -5).hasPrefix("000000000"))
        #expect(SecureRandom.timeOrderedIdentifier(unixTime: .nan).hasPrefix("000000000"))
        #expect(SecureRandom.timeOrderedIdentifier(unixTime: 1e15).hasPrefix("zzzzzzzzz"))
        #expect(SecureRandom.timeOrderedIdentifier(unixTime: .infinity).hasPrefix("zzzzzzzzz"))
    }

    private func chiSquare(_ counts: [Int]) -> Double {
        let total = Double(counts.reduce(0, +))
        let expected = total / Double(counts.count)
        return counts.reduce(0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
    }
}
