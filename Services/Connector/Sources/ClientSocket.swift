import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// A client TCP connection for the providers (SMTP and HTTP): a non-blocking socket driven with
/// `poll(2)`, so every step ends at a deadline to the millisecond, optionally wrapped in TLS. It blocks
/// its caller, so it runs on a dedicated thread (`WorkerThread`), never on the cooperative pool.
/// Failure reasons start with `label` and never carry what was sent or received.
///
/// `@unchecked Sendable`, proof: a socket has one owner at a time. The thread running a delivery
/// creates or checks it out, uses it alone, and either closes it or hands it to `HTTPConnectionPool`
/// under the pool's lock, after which it never touches it again; the next owner takes it out under
/// the same lock. No two threads ever hold a reference at once outside that lock.
final class ClientSocket: @unchecked Sendable {
    let label: String
    private let fd: Int32
    private var tls: TLSSession?
    private var buffer: [UInt8] = []
    private var closed = false
    /// Bytes read from the peer so far (after TLS): lets a caller tell "closed before answering" apart.
    private(set) var bytesReceived = 0
    /// The peer closed or reset the connection (end of stream, EPIPE, ECONNRESET), as opposed to a
    /// timeout: with `bytesReceived`, what decides whether a request may be re-sent elsewhere.
    private(set) var peerClosed = false

    var isSecure: Bool { tls != nil }
    /// Bytes read from the peer but not consumed yet.
    var bufferedCount: Int { buffer.count }

    /// Wraps an already connected socket (made non-blocking here); the socket is closed with this object.
    init(connectedFD fd: Int32, label: String) {
        _ = Self.sigpipeIgnored
        self.fd = fd
        self.label = label
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    deinit { close() }

    /// Writes to a peer that closed must fail with EPIPE rather than kill the process; OpenSSL writes
    /// with write(2), which cannot pass MSG_NOSIGNAL. Set once, lazily (every server process ignores
    /// SIGPIPE anyway; this covers tests and embedders).
    private static let sigpipeIgnored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Resolves `host` and connects to its addresses in turn. Every address but the last gets at most
    /// `attemptTimeout`, so one black-holed address (say an unreachable IPv6 one) cannot eat the budget.
    static func connect(host: String, port: Int, label: String, attemptTimeout: Duration,
                        deadline: ContinuousClock.Instant) throws(DeliveryFailure) -> ClientSocket {
        let addresses = try HostResolver.resolve(host: host, port: port, label: label, deadline: deadline)
        var lastReason = "cannot connect to the server"
        for (index, address) in addresses.enumerated() {
            let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastReason = "cannot create a socket (errno \(errno))"
                continue
            }
            let connection = ClientSocket(connectedFD: fd, label: label)
            let rc = address.connect(fd)
            if rc == 0 { return connection }
            guard errno == EINPROGRESS else {
                lastReason = "cannot connect to the server (errno \(errno))"
                continue
            }
            let isLast = index == addresses.count - 1
            let until = isLast ? deadline : min(deadline, .now + attemptTimeout)
            do {
                try connection.wait(for: Int16(POLLOUT), until: until)
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
        throw .transient("\(label): \(lastReason)")
    }

    /// Waits until the socket is ready for `events` or `until` passes.
    func wait(for events: Int16, until: ContinuousClock.Instant) throws(DeliveryFailure) {
        while true {
            let remaining = until - .now
            guard remaining > .zero else { throw .transient("\(label): timed out waiting for the server") }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            // Rounded up to the next millisecond, so we never wake just before the deadline and spin.
            let millis = Int32(min((remaining.totalNanoseconds + 999_999) / 1_000_000, 60_000))
            let ready = poll(&descriptor, 1, millis)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw .transient("\(label): poll failed (errno \(errno))") }
        }
    }

    /// Starts TLS on the connection (HTTPS, implicit TLS, or after SMTP's `STARTTLS` was accepted).
    func startTLS(serverName: String, insecure: Bool, caFile: String?, until: ContinuousClock.Instant) throws(DeliveryFailure) {
        // RFC 3207 §4.2 / §5: anything the server sent before the handshake must not be trusted afterwards.
        buffer.removeAll()
        let session = try TLSSession(fd: fd, serverName: serverName, insecure: insecure, caFile: caFile, label: label)
        while true {
            ERR_clear_error()
            let result = SSL_connect(session.ssl)
            if result == 1 { break }
            switch SSL_get_error(session.ssl, result) {
            case SSL_ERROR_WANT_READ: try wait(for: Int16(POLLIN), until: until)
            case SSL_ERROR_WANT_WRITE: try wait(for: Int16(POLLOUT), until: until)
            default:
                let reason = "\(label): TLS \(session.failureReason())"
                // A certificate the policy rejects will be rejected again: do not retry.
                throw session.verificationFailed ? .permanent(reason) : .transient(reason)
            }
        }
        tls = session
    }

    func write(_ bytes: [UInt8], until: ContinuousClock.Instant) throws(DeliveryFailure) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.count - offset
            if let tls {
                ERR_clear_error()
                let n = bytes.withUnsafeBytes { raw -> Int32 in
                    guard let base = raw.baseAddress else { return 0 }
                    return SSL_write(tls.ssl, base + offset, Int32(min(count, Int(Int32.max))))
                }
                if n > 0 {
                    offset += Int(n)
                    continue
                }
                switch SSL_get_error(tls.ssl, n) {
                case SSL_ERROR_WANT_READ: try wait(for: Int16(POLLIN), until: until)
                case SSL_ERROR_WANT_WRITE: try wait(for: Int16(POLLOUT), until: until)
                default:
                    peerClosed = true
                    throw .transient("\(label): the connection was lost while writing")
                }
            } else {
                let n = bytes.withUnsafeBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return 0 }
                    return send(fd, base + offset, count, Int32(MSG_NOSIGNAL))
                }
                if n > 0 {
                    offset += n
                } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    try wait(for: Int16(POLLOUT), until: until)
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    peerClosed = true
                    throw .transient("\(label): the connection was lost while writing")
                }
            }
        }
    }

    /// Reads one line (without its CRLF or LF) of at most `maxLength` bytes; the end of the stream
    /// before a line ends is a failure.
    func readLine(maxLength: Int, until: ContinuousClock.Instant) throws(DeliveryFailure) -> [UInt8] {
        var scanned = 0
        while true {
            if let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return line
            }
            scanned = buffer.count
            guard buffer.count <= maxLength else { throw .transient("\(label): the server sent an over-long line") }
            guard try fill(until: until) else { throw .transient("\(label): the server closed the connection") }
        }
    }

    /// Removes and returns up to `count` buffered bytes.
    func take(upTo count: Int) -> [UInt8] {
        let n = max(0, min(count, buffer.count))
        let out = Array(buffer[..<n])
        buffer.removeFirst(n)
        return out
    }

    /// Reads more bytes into the buffer; false at the end of the stream (a clean close by the peer).
    @discardableResult
    func fill(until: ContinuousClock.Instant) throws(DeliveryFailure) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            if let tls {
                ERR_clear_error()
                let n = chunk.withUnsafeMutableBytes { raw -> Int32 in
                    guard let base = raw.baseAddress else { return 0 }
                    return SSL_read(tls.ssl, base, Int32(raw.count))
                }
                if n > 0 {
                    buffer += chunk[..<Int(n)]
                    bytesReceived += Int(n)
                    return true
                }
                switch SSL_get_error(tls.ssl, n) {
                case SSL_ERROR_WANT_READ: try wait(for: Int16(POLLIN), until: until)
                case SSL_ERROR_WANT_WRITE: try wait(for: Int16(POLLOUT), until: until)
                default:
                    // SSL_ERROR_ZERO_RETURN is close_notify; a TCP close without it (common with HTTP
                    // servers) lands in the other cases. Callers decide by their framing whether the
                    // end came too early.
                    peerClosed = true
                    return false
                }
            } else {
                let n = chunk.withUnsafeMutableBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return 0 }
                    return recv(fd, base, raw.count, 0)
                }
                if n > 0 {
                    buffer += chunk[..<n]
                    bytesReceived += n
                    return true
                }
                if n == 0 || errno == ECONNRESET {
                    peerClosed = true
                    return false
                }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    try wait(for: Int16(POLLIN), until: until)
                } else if errno != EINTR {
                    throw .transient("\(label): read failed (errno \(errno))")
                }
            }
        }
    }

    /// Whether an idle kept-alive connection still looks usable: nothing to read (a readable idle
    /// socket means the peer closed it, reset it, or sent something we did not ask for).
    func isIdleAndOpen() -> Bool {
        guard !closed, buffer.isEmpty else { return false }
        if let tls, SSL_pending(tls.ssl) > 0 { return false }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
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
