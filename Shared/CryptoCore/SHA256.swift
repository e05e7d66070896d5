import COpenSSL

/// SHA-256 (FIPS 180-4) through libcrypto's `SHA256_*` functions: the state is a plain struct on
/// the stack. `EVP_Digest`, used before, fetched the algorithm and allocated and freed a context
/// on every call: about 4,000 of the ~6,500 instructions the gateway spent hashing each request's
/// API key (callgrind, issue 7). The same assembly runs either way; `HMAC.SHA256Key` explains why
/// these functions, deprecated in OpenSSL 3, are used.
public enum SHA256 {
    public static let digestLength = 32

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// The digest of `text`'s UTF-8, without copying it into an array first.
    public static func hash(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var context = begin()
        update(&context, bytes)
        var digest = [UInt8](repeating: 0, count: digestLength)
        digest.withUnsafeMutableBufferPointer { finish(&context, into: $0) }
        return digest
    }

    // The three steps, also for `HMAC.SHA256Key`, which keeps states between them. None can fail
    // on valid arguments (each returns 1).

    static func begin() -> SHA256_CTX {
        var context = SHA256_CTX()
        precondition(SHA256_Init(&context) == 1, "libcrypto SHA256_Init failed")
        return context
    }

    static func update(_ context: inout SHA256_CTX, _ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        precondition(SHA256_Update(&context, base, bytes.count) == 1, "libcrypto SHA256_Update failed")
    }

    /// Writes the digest into `output`, which holds `digestLength` bytes.
    static func finish(_ context: inout SHA256_CTX, into output: UnsafeMutableBufferPointer<UInt8>) {
        precondition(SHA256_Final(output.baseAddress, &context) == 1, "libcrypto SHA256_Final failed")
    }
}
