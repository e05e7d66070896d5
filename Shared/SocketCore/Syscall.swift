import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// The outcome of a non-blocking call: done with a value, or it would have blocked (EAGAIN).
public enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}

/// Thin wrappers over the socket calls: retry on EINTR, map EAGAIN/EWOULDBLOCK to `.wouldBlock`,
/// throw `SocketError` for everything else. All descriptors are created non-blocking and close-on-exec.
enum Syscall {
    @inline(__always)
    static func retrying(_ call: StaticString, _ body: () -> Int) throws(SocketError) -> IOResult<Int> {
        while true {
            let result = body()
            if result >= 0 { return .done(result) }
            let code = clinux_errno()
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            throw SocketError(errno: code, call: "\(call)")
        }
    }

    @inline(__always)
    static func check(_ call: StaticString, _ body: () -> Int32) throws(SocketError) -> Int32 {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = clinux_errno()
            if code == EINTR { continue }
            throw SocketError(errno: code, call: "\(call)")
        }
    }

    static func socket(domain: Int32) throws(SocketError) -> Int32 {
        try check("socket") { clinux_socket(domain, Int32(SOCK_STREAM.rawValue)) }
    }

    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> IOResult<Int> {
        try retrying("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// `send` with MSG_NOSIGNAL so a closed peer gives EPIPE, never SIGPIPE.
    static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SocketError) -> IOResult<Int> {
        try retrying("send") { Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    static func accept(_ fd: Int32, address: UnsafeMutablePointer<sockaddr>, length: UnsafeMutablePointer<socklen_t>)
        throws(SocketError) -> IOResult<Int32>
    {
        switch try retrying("accept4", { Int(clinux_accept4(fd, address, length)) }) {
        case .done(let newFD): return .done(Int32(newFD))
        case .wouldBlock: return .wouldBlock
        }
    }

    static func shutdown(_ fd: Int32, _ how: Int32) {
        // ENOTCONN after a peer reset is expected and harmless here.
        _ = Glibc.shutdown(fd, how)
    }

    /// close(2) is not retried on EINTR: on Linux the descriptor is released either way.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SocketError) {
        var v = value
        _ = try check("setsockopt") { setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) }
    }

    static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) != 0 { return clinux_errno() }
        return value
    }
}
