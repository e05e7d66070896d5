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
    public static func identifier(length: Int = 26) -> String {
        String(decoding: symbols(count: length, from: identifierAlphabet), as: UTF8.self)
    }

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
