import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// A listening socket registered on one loop; every accepted connection goes to `onAccept` on that
/// loop (non-blocking, close-on-exec, TCP_NODELAY for TCP). Loop-confined.
///
/// For TCP, give each loop its own listener on the same port (`reusePort`), and the kernel spreads
/// connections across them. For a Unix socket, one listener hands connections to other loops.
public final class Listener {
    public let loop: EventLoop
    /// The bound address; for TCP port 0 it carries the port the kernel chose.
    public let address: SocketAddress
    private let fd: Int32
    private let limit: ConnectionLimit?
    private let onAccept: (AcceptedSocket) -> Void
    private let isTCP: Bool
    private var registration: IORegistration?
    private var unixIdentity: (device: UInt64, inode: UInt64)?
    private var closed = false
    private var backoff: TimerToken?

    /// Connections accepted per readiness event before the loop moves on to other work.
    private static let acceptBatch = 64

    private init(fd: Int32, address: SocketAddress, loop: EventLoop, limit: ConnectionLimit?, onAccept: @escaping (AcceptedSocket) -> Void) {
        self.fd = fd
        self.address = address
        self.loop = loop
        self.limit = limit
        self.onAccept = onAccept
        if case .ip = address { isTCP = true } else { isTCP = false }
    }

    /// Loop thread only. Listens on `address` (`.ip`). With `reusePort`, several listeners (one per
    /// loop, or per process) may bind the same port. Above `limit`, new connections are accepted and
    /// closed at once, so clients fail fast instead of waiting in the backlog.
    public static func tcp(
        _ address: SocketAddress, on loop: EventLoop, reusePort: Bool = true, backlog: Int32 = 1024,
        limit: ConnectionLimit? = nil, onAccept: @escaping (AcceptedSocket) -> Void
    ) throws(SocketError) -> Listener {
        let fd = try Syscall.socket(domain: address.family)
        do throws(SocketError) {
            try Syscall.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if reusePort { try Syscall.setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1) }
            let rc = try address.withSockAddr("bind") { sa, length in Glibc.bind(fd, sa, length) }
            if rc != 0 { throw SocketError(errno: clinux_errno(), call: "bind", details: address.description) }
            _ = try Syscall.check("listen") { Glibc.listen(fd, backlog) }
            let bound = SocketAddress.local(of: fd) ?? address
            let listener = Listener(fd: fd, address: bound, loop: loop, limit: limit, onAccept: onAccept)
            try listener.start()
            return listener
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    /// Loop thread only. Listens on a Unix-domain socket at `path`: a stale socket file left by a dead
    /// process is removed first (a live one is an error), the socket is made 0600, and `close()`
    /// removes the file if it is still ours.
    public static func unix(
        path: String, on loop: EventLoop, backlog: Int32 = 1024, limit: ConnectionLimit? = nil,
        onAccept: @escaping (AcceptedSocket) -> Void
    ) throws(SocketError) -> Listener {
        let address = SocketAddress.unix(path: path)
        _ = try address.withSockAddr("bind") { _, _ in 0 }  // path length check, before touching anything
        try removeStaleSocket(at: path)
        let fd = try Syscall.socket(domain: AF_UNIX)
        do throws(SocketError) {
            let rc = try address.withSockAddr("bind") { sa, length in Glibc.bind(fd, sa, length) }
            if rc != 0 { throw SocketError(errno: clinux_errno(), call: "bind", details: path) }
            if chmod(path, 0o600) != 0 { throw SocketError(errno: clinux_errno(), call: "chmod", details: path) }
            _ = try Syscall.check("listen") { Glibc.listen(fd, backlog) }
            let listener = Listener(fd: fd, address: address, loop: loop, limit: limit, onAccept: onAccept)
            var info = stat()
            if lstat(path, &info) == 0 { listener.unixIdentity = (UInt64(info.st_dev), UInt64(info.st_ino)) }
            try listener.start()
            return listener
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    /// A socket file nobody listens on is stale; one somebody listens on must not be stolen.
    static func removeStaleSocket(at path: String) throws(SocketError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw SocketError(errno: EEXIST, call: "bind", details: "\(path) exists and is not a socket")
        }
        let probe = try Syscall.socket(domain: AF_UNIX)
        defer { Syscall.close(probe) }
        let rc = try SocketAddress.unix(path: path).withSockAddr("connect") { sa, length in Glibc.connect(probe, sa, length) }
        let code = rc == 0 ? 0 : clinux_errno()
        if rc == 0 || code == EAGAIN || code == EINPROGRESS {
            throw SocketError(errno: EADDRINUSE, call: "bind", details: "another process is listening on \(path)")
        }
        if unlink(path) != 0, clinux_errno() != ENOENT {
            throw SocketError(errno: clinux_errno(), call: "unlink", details: "stale socket \(path)")
        }
    }

    private func start() throws(SocketError) {
        registration = try loop.register(fd: fd, interest: .readable) { [self] events in
            if events.contains(.loopShutdown) {
                close()
            } else {
                acceptReady()
            }
        }
    }

    /// Loop thread only. Stops accepting, closes the socket and, for Unix sockets, removes the file
    /// unless another server has replaced it since.
    public func close() {
        guard !closed else { return }
        closed = true
        if let backoff { loop.cancelTimer(backoff) }
        if let registration { loop.deregister(registration) }
        registration = nil
        Syscall.close(fd)
        if case .unix(let path) = address, let identity = unixIdentity {
            var info = stat()
            if lstat(path, &info) == 0, UInt64(info.st_dev) == identity.device, UInt64(info.st_ino) == identity.inode {
                unlink(path)
            }
        }
    }

    private func acceptReady() {
        for _ in 0..<Self.acceptBatch {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let outcome: IOResult<Int32>
            do {
                outcome = try withUnsafeMutablePointer(to: &storage) { pointer throws(SocketError) in
                    try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SocketError) in
                        try Syscall.accept(fd, address: sa, length: &length)
                    }
                }
            } catch {
                switch error.errno {
                case ECONNABORTED, EPROTO, EPERM:
                    continue  // that one connection died in the backlog; the rest are fine
                default:
                    // EMFILE/ENFILE/ENOBUFS: level-triggered epoll would spin on the pending
                    // connection, so stop listening for a moment and let descriptors free up.
                    pauseAccepting()
                    return
                }
            }
            guard case .done(let newFD) = outcome else { return }
            if let limit, !limit.acquire() {
                Syscall.close(newFD)
                continue
            }
            if isTCP { try? Syscall.setOption(newFD, Int32(IPPROTO_TCP), TCP_NODELAY, 1) }
            let peer = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0, length: length) }
            }
            onAccept(AcceptedSocket(fd: newFD, peer: peer, limit: limit))
            if closed { return }
        }
    }

    private func pauseAccepting() {
        guard let registration, backoff == nil else { return }
        try? loop.reregister(registration, interest: [])
        backoff = loop.scheduleTimer(after: .milliseconds(100)) { [self] in
            backoff = nil
            guard !closed, let registration = self.registration else { return }
            try? loop.reregister(registration, interest: .readable)
        }
    }
}
