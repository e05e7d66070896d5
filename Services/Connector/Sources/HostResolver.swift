import Dispatch
import SyncCore
#if canImport(Glibc)
import Glibc
#endif

/// Host name resolution with a deadline. `getaddrinfo(3)` blocks with its own timeouts (resolv.conf,
/// seconds per server and attempt), so for names it runs on a helper thread and the caller stops
/// waiting at the deadline; an abandoned lookup finishes on its own and its result is dropped.
/// Address literals are converted inline.
enum HostResolver {
    struct Address: Sendable {
        var family: Int32
        var storage: [UInt8]

        /// `connect(2)` to this address; -1 with `EINVAL` for an empty one.
        func connect(_ fd: Int32) -> Int32 {
            storage.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else {
                    errno = EINVAL
                    return -1
                }
                return Glibc.connect(fd, base.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
        }
    }

    /// The addresses of `host` for TCP to `port`, in the resolver's order (RFC 6724 sorting by glibc).
    static func resolve(host: String, port: Int, label: String, deadline: ContinuousClock.Instant) throws(DeliveryFailure) -> [Address] {
        if TLSSession.isIPAddress(host) {
            return lookup(host: host, port: port, numeric: true) ?? []
        }
        let result = Locked<[Address]?>(nil)
        let done = DispatchSemaphore(value: 0)
        do {
            try WorkerThread.start(name: "passcode-dns") {
                let found = lookup(host: host, port: port, numeric: false)
                result.withLock { $0 = found }
                done.signal()
            }
        } catch {
            throw .transient("\(label): cannot start a resolver thread")
        }
        let remaining = deadline - .now
        guard remaining > .zero,
              done.wait(timeout: .now() + .nanoseconds(Int(remaining.totalNanoseconds))) == .success
        else { throw .transient("\(label): timed out resolving the server host") }
        guard let addresses = result.withLock({ $0 }), !addresses.isEmpty else {
            throw .transient("\(label): cannot resolve the server host")
        }
        return addresses
    }

    private static func lookup(host: String, port: Int, numeric: Bool) -> [Address]? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = numeric ? AI_NUMERICHOST | AI_NUMERICSERV : AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        var out: [Address] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            guard let address = info.pointee.ai_addr, info.pointee.ai_addrlen > 0 else { continue }
            let bytes = Array(UnsafeRawBufferPointer(start: address, count: Int(info.pointee.ai_addrlen)))
            out.append(Address(family: info.pointee.ai_family, storage: bytes))
        }
        return out
    }
}
