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

    /// An HMAC-SHA256 key set up once: a keyed libcrypto `EVP_MAC_CTX` (SHA-256 fetched, the key's
    /// inner and outer pads already absorbed). Each MAC works on its own copy (`EVP_MAC_CTX_dup`),
    /// so it costs two SHA-256 finishes and a copy instead of a fetch and a keying.
    ///
    /// `@unchecked Sendable` is safe: the keyed context is written only in `init` and freed only in
    /// `deinit`; in between it is only ever the read-only source of `EVP_MAC_CTX_dup` (which copies
    /// its digest states and key and bumps atomic reference counts), never updated or finalised,
    /// so any number of threads may MAC with one key at once.
    public final class SHA256Key: @unchecked Sendable {
        private let keyed: OpaquePointer

        public init(_ key: [UInt8]) {
            keyed = Self.makeKeyedContext(key)
        }

        deinit {
            EVP_MAC_CTX_free(keyed)
        }

        /// HMAC-SHA256 of `message`.
        public func mac(_ message: [UInt8]) -> [UInt8] {
            let context = copy()
            defer { EVP_MAC_CTX_free(context) }
            message.withUnsafeBufferPointer { Self.update(context, $0) }
            return Self.finish(context)
        }

        /// HMAC-SHA256 of the concatenated UTF-8 of `parts`, without building the concatenation.
        public func mac(utf8 parts: String...) -> [UInt8] {
            let context = copy()
            defer { EVP_MAC_CTX_free(context) }
            for part in parts {
                var part = part
                part.withUTF8 { Self.update(context, $0) }
            }
            return Self.finish(context)
        }

        private func copy() -> OpaquePointer {
            // Fails only when libcrypto cannot allocate.
            guard let context = EVP_MAC_CTX_dup(keyed) else { preconditionFailure("libcrypto EVP_MAC_CTX_dup failed") }
            return context
        }

        private static func update(_ context: OpaquePointer, _ bytes: UnsafeBufferPointer<UInt8>) {
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            let ok = EVP_MAC_update(context, base, bytes.count)
            precondition(ok == 1, "libcrypto EVP_MAC_update failed")
        }

        private static func finish(_ context: OpaquePointer) -> [UInt8] {
            var mac = [UInt8](repeating: 0, count: SHA256.digestLength)
            var written = 0
            let ok = mac.withUnsafeMutableBufferPointer { EVP_MAC_final(context, $0.baseAddress, &written, $0.count) }
            precondition(ok == 1 && written == SHA256.digestLength, "libcrypto EVP_MAC_final failed")
            return mac
        }

        /// The HMAC algorithm, fetched once per process (a fetch is a locked provider lookup).
        /// `nonisolated(unsafe)` is safe: a `static let` is initialised once, thread-safely, and
        /// `EVP_MAC` objects are immutable and reference-counted atomically.
        private nonisolated(unsafe) static let algorithm: OpaquePointer? = EVP_MAC_fetch(nil, "HMAC", nil)

        private static func makeKeyedContext(_ key: [UInt8]) -> OpaquePointer {
            guard let algorithm, let context = EVP_MAC_CTX_new(algorithm) else {
                preconditionFailure("libcrypto has no HMAC")
            }
            // A NULL key would mean "keep the previous key", so an empty key gets a real buffer.
            let buffer = key.isEmpty ? [0] : key
            let ok = buffer.withUnsafeBufferPointer { keyBytes in
                "digest".withCString { name in
                    var digest = Array("SHA256".utf8CString)
                    return digest.withUnsafeMutableBufferPointer { digestName in
                        var params = [OSSL_PARAM_construct_utf8_string(name, digestName.baseAddress, 0),
                                      OSSL_PARAM_construct_end()]
                        return EVP_MAC_init(context, keyBytes.baseAddress, key.count, &params)
                    }
                }
            }
            // Fails only when libcrypto cannot allocate or lacks SHA-256; no key makes it fail.
            precondition(ok == 1, "libcrypto HMAC-SHA256 keying failed")
            return context
        }
    }
}
