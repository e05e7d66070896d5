import Glibc

/// A stream socket to Redis (TCP or Unix) used in a blocking style with deadlines: the descriptor is
/// non-blocking and every wait is a `poll()` bounded by the caller's deadline, so no call can hang.
/// Belongs to one thread.
final class RedisSocket {
    private var fd: Int32
    private var chunk = [UInt8](repeating: 0, count: 64 << 10)

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        close()
    }

    func close() {
        if fd >= 0 {
            _ = Glibc.close(fd)
            fd = -1
        }
    }

    // MARK: Connect

    static func connect(_ address: RedisEndpoint.Address, timeout: Duration) throws(RedisError) -> RedisSocket {
        let deadline = ContinuousClock.now + timeout
        switch address {
        case .unix(let path):
            return try connectUnix(path: path, deadline: deadline)
        case .tcp(let host, let port):
            return try connectTCP(host: host, port: port, deadline: deadline)
        }
    }

    private static func connectUnix(path: String, deadline: ContinuousClock.Instant) throws(RedisError) -> RedisSocket {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw .connectFailed("socket path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let socket = try open(family: AF_UNIX, protocol: 0)
        let length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket.fd, $0, length) }
        }
        try socket.finishConnect(rc, deadline: deadline, target: path)
        return socket
    }

    private static func connectTCP(host: String, port: Int, deadline: ContinuousClock.Instant) throws(RedisError) -> RedisSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        // getaddrinfo has no timeout of its own; for a numeric host or /etc/hosts it does no I/O.
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let list else {
            throw .connectFailed("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = RedisError.connectFailed("no address for \(host)")
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let info = entry {
            entry = info.pointee.ai_next
            do {
                let socket = try open(family: info.pointee.ai_family, protocol: info.pointee.ai_protocol)
                let connected = Glibc.connect(socket.fd, info.pointee.ai_addr, info.pointee.ai_addrlen)
                try socket.finishConnect(connected, deadline: deadline, target: "\(host):\(port)")
                // Small request/reply exchanges: send each pipeline at once, no Nagle delay.
                var one: Int32 = 1
                _ = setsockopt(socket.fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return socket
            } catch {
                lastError = error
                if case .timedOut = error { throw error }
            }
        }
        throw lastError
    }

    private static func open(family: Int32, protocol proto: Int32) throws(RedisError) -> RedisSocket {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = Glibc.socket(family, type, proto)
        guard fd >= 0 else { throw .system(call: "socket", errno: errno) }
        return RedisSocket(fd: fd)
    }

    /// Completes a non-blocking `connect` that returned `rc`, waiting at most until `deadline`.
    private func finishConnect(_ rc: Int32, deadline: ContinuousClock.Instant, target: String) throws(RedisError) {
        if rc == 0 { return }
        let code = errno
        guard code == EINPROGRESS || code == EINTR else {
            throw .connectFailed("\(target): \(Self.describe(code))")
        }
        guard try wait(for: Int16(POLLOUT), until: deadline) else { throw .timedOut("connect to \(target)") }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length) == 0 else {
            throw .system(call: "getsockopt", errno: errno)
        }
        if failure != 0 { throw .connectFailed("\(target): \(Self.describe(failure))") }
    }

    // MARK: I/O

    /// Writes all of `bytes` by `deadline`.
    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(RedisError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            let code = errno
            switch code {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                guard try wait(for: Int16(POLLOUT), until: deadline) else { throw .timedOut("write") }
            case EPIPE, ECONNRESET, ENOTCONN:
                throw .connectionClosed
            default:
                throw .system(call: "send", errno: code)
            }
        }
    }

    /// Reads whatever has arrived (at least one byte) into `parser`, waiting at most until `deadline`.
    func read(into parser: inout RedisReplyParser, deadline: ContinuousClock.Instant) throws(RedisError) {
        while true {
            let received = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if received > 0 {
                parser.append(chunk[0..<received])
                return
            }
            if received == 0 { throw .connectionClosed }
            let code = errno
            switch code {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                guard try wait(for: Int16(POLLIN), until: deadline) else { throw .timedOut("read") }
            case ECONNRESET, ENOTCONN:
                throw .connectionClosed
            default:
                throw .system(call: "recv", errno: code)
            }
        }
    }

    /// True if an idle connection has something to read: the server closed it (EOF, e.g. after a
    /// restart or its idle `timeout`) or sent bytes nobody asked for. Either way it is not usable.
    var hasInputWhileIdle: Bool {
        guard fd >= 0 else { return true }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) != 0
    }

    /// Waits until the socket is ready for `events`; false if `deadline` passes first.
    private func wait(for events: Int16, until deadline: ContinuousClock.Instant) throws(RedisError) -> Bool {
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return false }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let rc = poll(&entry, 1, Int32(clamping: milliseconds))
            if rc > 0 { return true }
            if rc < 0 && errno != EINTR { throw .system(call: "poll", errno: errno) }
        }
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
