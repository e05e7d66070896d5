import COpenSSL

/// HMAC (RFC 2104) with SHA-256, through libcrypto.
public enum HMAC {
    /// One-shot HMAC through libcrypto's `HMAC()`, which fetches SHA-256 and keys a fresh context
    /// on every call. For many MACs under one key use `SHA256Key`.
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: SHA256.digestLength)
        var written: UInt32 = 0
        // libcrypto reads a NULL key as "reuse the previous key", so an empty key still gets a
        // real (zero-length) buffer.
        let keyBuffer = key.isEmpty ? [0] : key
        let result = keyBuffer.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                mac.withUnsafeMutableBufferPointer { output in
                    COpenSSL.HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(key.count),
                                  messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), messageBytes.count,
                                  output.baseAddress, &written)
                }
            }
        }
        // HMAC() only fails when libcrypto cannot allocate; no key or message makes it fail.
        precondition(result != nil && written == UInt32(SHA256.digestLength), "libcrypto HMAC-SHA256 failed")
        return mac
    }

    public static func sha256(key: [UInt8], message: String) -> [UInt8] {
        sha256(key: key, message: Array(message.utf8))
    }

    /// An HMAC-SHA256 key set up once (RFC 2104 §2): the SHA-256 states after absorbing the
    /// key's inner and outer pads are computed in `init`; each MAC copies the two states (plain
    /// structs, on the stack) and runs the message and the inner digest through them. No context
    /// is allocated per MAC: the `EVP_MAC_CTX_dup` this replaced was ~11,000 instructions of a
    /// wrong guess's ~115,000 in the verifier (callgrind), most of them allocating and freeing
    /// the copied contexts. libcrypto's `SHA256_*` functions (deprecated in OpenSSL 3 in favour of
    /// EVP, which cannot copy a digest state without allocating) run the same assembly.
    ///
    /// Any number of threads may MAC with one key at once: the two states are immutable after
    /// `init` and only ever copied.
    public final class SHA256Key: Sendable {
        private let inner: SHA256_CTX
        private let outer: SHA256_CTX

        public init(_ key: [UInt8]) {
            // A key longer than the block is replaced by its digest; a shorter one is padded with zeros.
            var block = key.count > Self.blockLength ? SHA256.hash(key) : key
            block += [UInt8](repeating: 0, count: Self.blockLength - block.count)
            inner = Self.absorb(block.map { $0 ^ 0x36 })
            outer = Self.absorb(block.map { $0 ^ 0x5C })
            block.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
        }

        /// HMAC-SHA256 of `message`.
        public func mac(_ message: [UInt8]) -> [UInt8] {
            var context = inner
            message.withUnsafeBytes { SHA256.update(&context, $0) }
            return finish(&context)
        }

        /// HMAC-SHA256 of the concatenated UTF-8 of `parts`, without building the concatenation.
        public func mac(utf8 parts: String...) -> [UInt8] {
            var context = inner
            for part in parts {
                var part = part
                part.withUTF8 { SHA256.update(&context, UnsafeRawBufferPointer($0)) }
            }
            return finish(&context)
        }

        private static let blockLength = 64

        private static func absorb(_ pad: [UInt8]) -> SHA256_CTX {
            var context = SHA256.begin()
            pad.withUnsafeBytes { SHA256.update(&context, $0) }
            return context
        }

        /// H(outer pad ‖ H(inner pad ‖ message)), with `context` holding the inner hash so far.
        private func finish(_ context: inout SHA256_CTX) -> [UInt8] {
            var digest = [UInt8](repeating: 0, count: SHA256.digestLength)
            var outerContext = outer
            digest.withUnsafeMutableBufferPointer { buffer in
                SHA256.finish(&context, into: buffer)
                SHA256.update(&outerContext, UnsafeRawBufferPointer(buffer))
                SHA256.finish(&outerContext, into: buffer)
            }
            return digest
        }
    }
}
