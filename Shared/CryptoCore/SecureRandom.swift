import COpenSSL

/// Randomness for codes, identifiers and secrets, from libcrypto's CSPRNG (seeded by getrandom).
public enum SecureRandom {
    /// `count` bytes from the CSPRNG.
    public static func bytes(count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        let status = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        // Like the standard library's SystemRandomNumberGenerator, a failing system CSPRNG is not
        // something to carry on from: a guessable code would be worse than a crash.
        precondition(status == 1, "libcrypto RAND_bytes failed")
        return out
    }

    /// A string of `count` uniformly random decimal digits (leading zeros allowed).
    public static func digits(count: Int) -> String {
        String(decoding: symbols(count: count, from: decimalAlphabet), as: UTF8.self)
    }

    /// A random identifier over `[0-9a-z]`. 26 characters carry 26 · log2(36) ≈ 134 bits.
    public static func identifier(length: Int = identifierLength) -> String {
        String(decoding: symbols(count: length, from: identifierAlphabet), as: UTF8.self)
    }

    /// An identifier that sorts by creation time: the milliseconds since 1970 of `unixTime` as nine
    /// base-36 digits (fixed width, so string order is time order until the year 5188), then the 26
    /// random characters of `identifier()`. The randomness is the same as an unordered id's (≈134
    /// bits); the prefix only tells its holder when it was made.
    ///
    /// Why: a B-tree keyed by random ids puts every new key on a page of its own, so each insert
    /// dirties a page nobody else touched, and SQLite writes that whole page to the WAL (issue 7:
    /// the send+verify flow wrote about 65 KiB per code). Keys made in the same moment sort next to
    /// each other and share the tree's last pages. Nothing may rely on the order for correctness: a
    /// clock stepped back only puts the next keys among older ones.
    public static func timeOrderedIdentifier(unixTime: Double) -> String {
        // Rounded to the nearest millisecond (a monotonic mapping, like the floor), so a time such
        // as 1.001 s, which is 1000.999… ms in binary, gets its own millisecond.
        var milliseconds = unixTime > 0 ? UInt64(min((unixTime * 1000).rounded(), Double(timePrefixLimit - 1))) : 0
        var out = [UInt8](repeating: 0, count: timePrefixLength)
        for index in out.indices.reversed() {
            out[index] = identifierAlphabet[Int(milliseconds % 36)]
            milliseconds /= 36
        }
        out += symbols(count: identifierLength, from: identifierAlphabet)
        return String(decoding: out, as: UTF8.self)
    }

    /// Characters of a random identifier, the default of `identifier(length:)`.
    public static let identifierLength = 26

    /// Digits of the time prefix, and the first millisecond that no longer fits in them (36⁹).
    static let timePrefixLength = 9
    static let timePrefixLimit: UInt64 = 101_559_956_668_416

    static let decimalAlphabet = Array("0123456789".utf8)
    static let identifierAlphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)

    /// Picks `count` symbols uniformly. A byte is used only when it falls below the largest multiple
    /// of the alphabet size that fits in a byte (rejection sampling), so `byte % size` has no bias.
    static func symbols(count: Int, from alphabet: [UInt8]) -> [UInt8] {
        guard count > 0 else { return [] }
        let size = alphabet.count
        let limit = (256 / size) * size
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            // Draw a little more than needed so one refill almost always suffices.
            for byte in bytes(count: (count - out.count) + 8) where Int(byte) < limit {
                out.append(alphabet[Int(byte) % size])
                if out.count == count { break }
            }
        }
        return out
    }
}
