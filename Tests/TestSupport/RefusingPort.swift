#if canImport(Glibc)
import Glibc
#endif

/// A TCP port on 127.0.0.1 that refuses every connection for as long as this object lives: a socket
/// bound to it that never listens. Unlike a port found free and closed again, no other test can
/// start listening on it meanwhile, and a connect cannot pick it as its own source port and
/// connect to itself (TCP simultaneous open), so a connect to it fails with ECONNREFUSED every time.
public final class RefusingPort: @unchecked Sendable {
    // @unchecked: both stored properties are immutable; the descriptor is closed once, in deinit.
    public let port: Int
    private let fd: Int32

    public init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RawSocket.Failure(call: "socket", errno: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = self.fd
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa -> Int32 in
                guard bind(fd, sa, length) == 0 else { return -1 }
                return getsockname(fd, sa, &length)
            }
        }
        guard rc == 0 else {
            let code = errno
            close(fd)
            throw RawSocket.Failure(call: "bind", errno: code)
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }

    /// A port on 127.0.0.1 that was free a moment ago: bound, read and released at once. For a
    /// server the test starts on a fixed port; another process may take it first, as with any
    /// free-port probe.
    public static func recentlyFree() throws -> Int { try RefusingPort().port }
}
