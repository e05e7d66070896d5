import COpenSSL
import SyncCore

/// Randomness for codes, identifiers and secrets, from libcrypto's CSPRNG (seeded by getrandom).
public enum SecureRandom {
    /// `count` bytes from the CSPRNG.
    ///
    /// Draws of up to `pooledDrawLimit` bytes are served from a pool that `RAND_bytes` refills
    /// `poolSize` bytes at a time (issue 7: each send draws twice, for its record id and its code,
    /// and libcrypto spends about 6,000 instructions per call, whatever its size). Each byte is
    /// handed out once and zeroed in the pool as it goes. The pool is per process; no Passcode
    /// process forks without exec, which is what would let two processes share its bytes.
    public static func bytes(count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        guard count <= pooledDrawLimit else { return drawn(count: count) }
        return pool.withLock { pool in
            if pool.next + count > pool.bytes.count {
                pool.bytes.withUnsafeMutableBufferPointer { fill($0) }
                pool.next = 0
            }
            let range = pool.next..<(pool.next + count)
            let out = Array(pool.bytes[range])
            for index in range { pool.bytes[index] = 0 }
            pool.next += count
            return out
        }
    }

    /// Bytes of the pool, and the largest draw it serves.
    static let poolSize = 512
    static let pooledDrawLimit = 64

    private struct Pool {
        var bytes = [UInt8](repeating: 0, count: SecureRandom.poolSize)
        /// The first byte not yet handed out; `poolSize` when the pool is spent.
        var next = SecureRandom.poolSize
    }

    private static let pool = Locked(Pool())

    private static func drawn(count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { fill($0) }
        return out
    }

    private static func fill(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        let status = RAND_bytes(buffer.baseAddress, Int32(buffer.count))
        // Like the standard library's SystemRandomNumberGenerator, a failing system CSPRNG is not
        // something to carry on from: a guessable code would be worse than a crash.
        precondition(status == 1, "libcrypto RAND_bytes failed")
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
