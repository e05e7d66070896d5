import COpenSSL

/// SHA-256 (FIPS 180-4) through libcrypto's EVP interface.
public enum SHA256 {
    public static let digestLength = 32

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: digestLength)
        var written: UInt32 = 0
        let status = bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &written, EVP_sha256(), nil)
            }
        }
        // EVP_Digest only fails when libcrypto cannot allocate; no input makes it fail.
        precondition(status == 1 && written == UInt32(digestLength), "libcrypto SHA-256 failed")
        return digest
    }

    public static func hash(_ text: String) -> [UInt8] {
        hash(Array(text.utf8))
    }
}
