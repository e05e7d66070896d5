#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which call, the `errno` it set, and optionally what we were doing.
public struct SocketError: Error, Sendable, Equatable, CustomStringConvertible {
    public var errno: Int32
    public var call: String
    public var details: String?

    public init(errno: Int32, call: String, details: String? = nil) {
        self.errno = errno
        self.call = call
        self.details = details
    }

    public var description: String {
        // glibc's strerror returns static text for every known errno.
        let reason = String(cString: strerror(errno))
        if let details { return "\(call) failed: \(reason) (errno \(errno)): \(details)" }
        return "\(call) failed: \(reason) (errno \(errno))"
    }
}
