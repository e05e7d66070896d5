import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// Where a socket lives: a numeric IP address and port, or a Unix-domain path.
public enum SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// `host` is numeric text (`127.0.0.1`, `::1`).
    case ip(host: String, port: Int)
    case unix(path: String)

    public var description: String {
        switch self {
        case .ip(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }

    public var port: Int? {
        if case .ip(_, let port) = self { return port }
        return nil
    }

    /// Parses `host:port`, `[v6]:port` or `:port` (all interfaces). Names other than `localhost`
    /// are resolved with getaddrinfo, which may block: call this at start-up, not on a loop.
    public static func parse(_ text: String) throws(SocketError) -> SocketAddress {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw SocketError(errno: EINVAL, call: "parse address", details: "expected host:port, got '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return try resolve(host: host.isEmpty ? "0.0.0.0" : host, port: port)
    }

    public static func resolve(host: String, port: Int) throws(SocketError) -> SocketAddress {
        if host == "localhost" { return .ip(host: "127.0.0.1", port: port) }
        if isNumeric(host) { return .ip(host: host, port: port) }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &list)
        guard rc == 0, let first = list else {
            throw SocketError(errno: ENOENT, call: "getaddrinfo", details: "cannot resolve host '\(host)'")
        }
        defer { freeaddrinfo(list) }
        guard let sa = first.pointee.ai_addr, let text = numericHost(sa) else {
            throw SocketError(errno: ENOENT, call: "getaddrinfo", details: "no usable address for '\(host)'")
        }
        return .ip(host: text, port: port)
    }

    static func isNumeric(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    var family: Int32 {
        switch self {
        case .ip(let host, _): host.contains(":") ? AF_INET6 : AF_INET
        case .unix: AF_UNIX
        }
    }

    /// Calls `body` with this address as a `sockaddr`. Throws for text that is not numeric or a
    /// Unix path longer than `sun_path` allows.
    func withSockAddr<R>(_ call: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) throws(SocketError) -> R {
        switch self {
        case .ip(let host, let port):
            if host.contains(":") {
                var sa = sockaddr_in6()
                sa.sin6_family = sa_family_t(AF_INET6)
                sa.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
                guard inet_pton(AF_INET6, host, &sa.sin6_addr) == 1 else {
                    throw SocketError(errno: EINVAL, call: call, details: "not an IPv6 address: '\(host)'")
                }
                return withUnsafePointer(to: &sa) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
                }
            }
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
            guard inet_pton(AF_INET, host, &sa.sin_addr) == 1 else {
                throw SocketError(errno: EINVAL, call: call, details: "not an IPv4 address: '\(host)'")
            }
            return withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .unix(let path):
            let bytes = Array(path.utf8)
            let limit = Int(clinux_sun_path_max()) - 1  // room for the terminating NUL
            guard !bytes.isEmpty, bytes.count <= limit, !bytes.contains(0) else {
                throw SocketError(
                    errno: ENAMETOOLONG, call: call,
                    details: "unix socket path is \(bytes.count) bytes, the limit is \(limit): \(path)")
            }
            var sa = sockaddr_un()
            sa.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &sa.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            let length = MemoryLayout<sa_family_t>.size + bytes.count + 1
            return withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(length)) }
            }
        }
    }

    /// Builds an address from what accept/getsockname filled in.
    init?(_ sa: UnsafePointer<sockaddr>, length: socklen_t) {
        switch Int32(sa.pointee.sa_family) {
        case AF_INET, AF_INET6:
            guard let host = SocketAddress.numericHost(sa) else { return nil }
            let port: UInt16 = sa.pointee.sa_family == sa_family_t(AF_INET)
                ? sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
                : sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            self = .ip(host: host, port: Int(port))
        case AF_UNIX:
            let pathLength = Int(length) - MemoryLayout<sa_family_t>.size
            let path: String = sa.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { un in
                withUnsafeBytes(of: un.pointee.sun_path) { raw in
                    let usable = raw.prefix(max(0, pathLength))
                    let end = usable.firstIndex(of: 0) ?? usable.endIndex
                    return String(decoding: usable[..<end], as: UTF8.self)
                }
            }
            self = .unix(path: path)
        default:
            return nil
        }
    }

    static func numericHost(_ sa: UnsafePointer<sockaddr>) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let ok: Bool
        if sa.pointee.sa_family == sa_family_t(AF_INET) {
            ok = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                withUnsafePointer(to: sin.pointee.sin_addr) { inet_ntop(AF_INET, $0, &buffer, socklen_t(buffer.count)) != nil }
            }
        } else if sa.pointee.sa_family == sa_family_t(AF_INET6) {
            ok = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                withUnsafePointer(to: sin6.pointee.sin6_addr) { inet_ntop(AF_INET6, $0, &buffer, socklen_t(buffer.count)) != nil }
            }
        } else {
            ok = false
        }
        guard ok else { return nil }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The local address a bound socket ended up with (resolves port 0).
    static func local(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                getsockname(fd, sa, &length) == 0 ? SocketAddress(sa, length: length) : nil
            }
        }
    }
}
