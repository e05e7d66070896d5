import SocketCore

/// What a handler knows about the request it serves.
public struct RPCContext: Sendable {
    /// The envelope id, unique per connection.
    public let id: UInt64
    public let method: String
    /// The gateway's request id, for log correlation.
    public let rid: String?
    /// When the caller stops waiting (`deadline_ms` after the request arrived).
    public let deadline: ContinuousClock.Instant
    /// The loop the connection lives on; the handler's task prefers it as executor.
    public let loop: EventLoop

    public var remaining: Duration { deadline - ContinuousClock.now }
}
