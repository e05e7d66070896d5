import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// One client TLS session over a connected socket (OpenSSL): system CA store (or an operator's bundle),
/// peer verification with host name checking (RFC 6125 via `SSL_set1_host`, or the IP address), and SNI
/// for host names (RFC 6066 §3 forbids it for literal addresses). TLS 1.2 at least (RFC 8996, RFC 8314 §4.1).
/// Owned by one `ClientSocket`, so confined to the thread that owns that socket.
final class TLSSession {
    private let context: OpaquePointer
    let ssl: OpaquePointer

    init(fd: Int32, serverName: String, insecure: Bool, caFile: String?, label: String) throws(DeliveryFailure) {
        guard let method = TLS_client_method(), let context = SSL_CTX_new(method) else {
            throw .transient("\(label): cannot create a TLS context")
        }
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw .transient("\(label): cannot create a TLS session")
        }
        self.context = context
        self.ssl = ssl
        _ = SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        if insecure {
            SSL_set_verify(ssl, SSL_VERIFY_NONE, nil)
        } else {
            let loaded: Int32 = if let caFile { SSL_CTX_load_verify_locations(context, caFile, nil) } else {
                SSL_CTX_set_default_verify_paths(context)
            }
            guard loaded == 1 else { throw .permanent("\(label): cannot load trusted certificates") }
            SSL_set_verify(ssl, SSL_VERIFY_PEER, nil)
            if Self.isIPAddress(serverName) {
                guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1 else {
                    throw .permanent("\(label): cannot set the expected server address")
                }
            } else {
                guard SSL_set1_host(ssl, serverName) == 1 else { throw .permanent("\(label): cannot set the expected server name") }
            }
        }
        if !Self.isIPAddress(serverName) {
            _ = serverName.withCString { name in
                SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: name))
            }
        }
        guard SSL_set_fd(ssl, fd) == 1 else { throw .transient("\(label): cannot attach TLS to the socket") }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// Why the handshake failed, from the verify result or OpenSSL's error queue.
    func failureReason() -> String {
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
            return "certificate verification failed: \(String(cString: text))"
        }
        let code = ERR_get_error()
        guard code != 0 else { return "handshake failed" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return "handshake failed: " + String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    var verificationFailed: Bool { SSL_get_verify_result(ssl) != X509_V_OK }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
