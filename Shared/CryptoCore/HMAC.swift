import COpenSSL

/// HMAC (RFC 2104) with SHA-256, through libcrypto's one-shot `HMAC()`.
public enum HMAC {
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
}
