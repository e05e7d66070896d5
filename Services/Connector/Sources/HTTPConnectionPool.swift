import SyncCore

/// Idle kept-alive connections per (scheme, host, port), so consecutive deliveries to a provider skip
/// the TCP and TLS handshakes (RFC 9112 §9.3). Small and short-lived: a connection idle longer than
/// `idleTimeout` is closed instead of reused (providers drop idle ones on their side too), and each
/// key keeps at most `maxIdlePerKey`; a busy key simply opens more connections, there is no queue.
final class HTTPConnectionPool: Sendable {
    private struct Idle {
        var socket: ClientSocket
        var since: ContinuousClock.Instant
    }

    let idleTimeout: Duration
    let maxIdlePerKey: Int
    private let idle = Locked<[HTTPEndpoint.Key: [Idle]]>([:])

    init(idleTimeout: Duration = .seconds(30), maxIdlePerKey: Int = 8) {
        self.idleTimeout = idleTimeout
        self.maxIdlePerKey = maxIdlePerKey
    }

    /// The most recently used idle connection for `key` that still looks open, if any.
    func checkOut(_ key: HTTPEndpoint.Key) -> ClientSocket? {
        while true {
            let candidate: Idle? = idle.withLock { $0[key]?.popLast() }
            guard let candidate else { return nil }
            // Newest first: if this one is too old, every older one is too.
            guard ContinuousClock.now - candidate.since < idleTimeout else {
                candidate.socket.close()
                let stale: [Idle] = idle.withLock { $0.removeValue(forKey: key) ?? [] }
                for entry in stale { entry.socket.close() }
                return nil
            }
            if candidate.socket.isIdleAndOpen() { return candidate.socket }
            candidate.socket.close()
        }
    }

    /// Keeps `socket` for reuse; the caller must not touch it afterwards.
    func checkIn(_ socket: ClientSocket, key: HTTPEndpoint.Key) {
        let now = ContinuousClock.now
        let evicted: [Idle] = idle.withLock { pool in
            var entries = pool[key] ?? []
            entries.append(Idle(socket: socket, since: now))
            var dropped: [Idle] = []
            while entries.count > maxIdlePerKey || (entries.first.map { now - $0.since >= idleTimeout } ?? false) {
                dropped.append(entries.removeFirst())
            }
            pool[key] = entries
            return dropped
        }
        for entry in evicted { entry.socket.close() }
    }

    /// Closes every idle connection.
    func closeAll() {
        let all: [HTTPEndpoint.Key: [Idle]] = idle.withLock { pool in
            defer { pool = [:] }
            return pool
        }
        for entry in all.values.joined() { entry.socket.close() }
    }
}
