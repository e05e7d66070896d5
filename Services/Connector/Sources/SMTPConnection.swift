import COpenSSL
import Foundation

/// A client connection to an SMTP server: a non-blocking socket driven with `poll(2)` so every step
/// has a deadline, optionally wrapped in TLS. It blocks its caller, so it runs on a dedicated thread,
/// never on the cooperative pool.
final class SMTPConnection {
    private let fd: Int32
    private var tls: TLSSession?
    private var buffer: [UInt8] = []
    private var closed = false
    let stepTimeout: Duration
    let deadline: ContinuousClock.Instant

    var isSecure: Bool { tls != nil }

    private init(fd: Int32, stepTimeout: Duration, deadline: ContinuousClock.Instant) {
        self.fd = fd
        self.stepTimeout = stepTimeout
        self.deadline = deadline
    }

    deinit { close() }

    /// The deadline of the step starting now: the step timeout, capped by the delivery's budget.
    func stepDeadline() -> ContinuousClock.Instant { min(deadline, .now + stepTimeout) }

    static func open(host: String, port: Int, stepTimeout: Duration, deadline: ContinuousClock.Instant) throws(DeliveryFailure) -> SMTPConnection {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw .transient("smtp: cannot resolve the server host")
        }
        defer { freeaddrinfo(list) }
        var lastReason = "cannot connect to the server"
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                            info.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            let connection = SMTPConnection(fd: fd, stepTimeout: stepTimeout, deadline: deadline)
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return connection }
            guard errno == EINPROGRESS else {
                lastReason = "cannot connect to the server (errno \(errno))"
                continue
            }
            do {
                try connection.wait(for: Int16(POLLOUT), until: connection.stepDeadline())
            } catch {
                lastReason = "connecting to the server timed out"
                continue
            }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            if soError == 0 { return connection }
            lastReason = "cannot connect to the server (errno \(soError))"
        }
        throw .transient("smtp: \(lastReason)")
    }

    /// Waits until the socket is ready for `events` or `until` passes.
    func wait(for events: Int16, until: ContinuousClock.Instant) throws(DeliveryFailure) {
        while true {
            let remaining = until - .now
            guard remaining > .zero else { throw .transient("smtp: the server did not answer in time") }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let millis = Int32(min(max(1, remaining.totalNanoseconds / 1_000_000), 60_000))
            let ready = poll(&descriptor, 1, millis)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw .transient("smtp: poll failed (errno \(errno))") }
        }
    }

    /// Starts TLS on the connection (implicit TLS, or after `STARTTLS` was accepted).
    func startTLS(serverName: String, insecure: Bool, caFile: String?) throws(DeliveryFailure) {
        // RFC 3207 §4.2 / §5: anything the server sent before the handshake must not be trusted afterwards.
        buffer.removeAll()
        let session = try TLSSession(fd: fd, serverName: serverName, insecure: insecure, caFile: caFile)
        let until = stepDeadline()
        while true {
            ERR_clear_error()
            let result = SSL_connect(session.ssl)
            if result == 1 { break }
            switch SSL_get_error(session.ssl, result) {
            case SSL_ERROR_WANT_READ: try wait(for: Int16(POLLIN), until: until)
            case SSL_ERROR_WANT_WRITE: try wait(for: Int16(POLLOUT), until: until)
            default:
                let reason = "smtp: TLS \(session.failureReason())"
                // A certificate the policy rejects will be rejected again: do not retry.
                throw session.verificationFailed ? .permanent(reason) : .transient(reason)
            }
        }
        tls = session
    }

    func write(_ bytes: [UInt8]) throws(DeliveryFailure) {
        let until = stepDeadline()
        var offset = 0
        while offset < bytes.count {
            let count = bytes.count - offset
            if let tls {
                ERR_clear_error()
                let n = bytes.withUnsafeBytes { SSL_write(tls.ssl, $0.baseAddress! + offset, Int32(min(count, Int(Int32.max)))) }
                if n > 0 {
                    offset += Int(n)
                    continue
                }
                switch SSL_get_error(tls.ssl, n) {
                case SSL_ERROR_WANT_READ: try wait(for: Int16(POLLIN), until: until)
                case SSL_ERROR_WANT_WRITE: try wait(for: Int16(POLLOUT), until: until)
                default: throw .transient("smtp: the connection was lost while writing")
                }
            } else {
                let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, count, Int32(MSG_NOSIGNAL)) }
                if n > 0 {
                    offset += n
                } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    try wait(for: Int16(POLLOUT), until: until)
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    throw .transient("smtp: the connection was lost while writing")
                }
            }
        }
    }

    /// Reads one line (without its CRLF or LF), at most `maxLength` bytes (RFC 5321 §4.5.3.1.5 allows 512).
    func readLine(maxLength: Int = 2048, until: ContinuousClock.Instant) throws(DeliveryFailure) -> String {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard buffer.count <= maxLength else { throw .transient("smtp: the server sent an over-long line") }
            try fill(until: until)
        }
    }

    private func fill(until: ContinuousClock.Instant) throws(DeliveryFailure) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let tls {
                ERR_clear_error()
                let n = chunk.withUnsafeMutableBytes { SSL_read(tls.ssl, $0.baseAddress!, Int32($0.count)) }
                if n > 0 {
                    buffer += chunk[..<Int(n)]
                    return
                }
                switch SSL_get_error(tls.ssl, n) {
                case SSL_ERROR_WANT_READ: try wait(for: Int16(POLLIN), until: until)
                case SSL_ERROR_WANT_WRITE: try wait(for: Int16(POLLOUT), until: until)
                default: throw .transient("smtp: the server closed the connection")
                }
            } else {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
                if n > 0 {
                    buffer += chunk[..<n]
                    return
                }
                if n == 0 { throw .transient("smtp: the server closed the connection") }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    try wait(for: Int16(POLLIN), until: until)
                } else if errno != EINTR {
                    throw .transient("smtp: read failed (errno \(errno))")
                }
            }
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let tls {
            // Best effort close_notify; the socket is non-blocking so this never hangs.
            _ = SSL_shutdown(tls.ssl)
        }
        tls = nil
        Glibc.close(fd)
    }
}
