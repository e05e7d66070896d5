/// A connection a listener accepted and has not yet wrapped: hand it to any loop (it is Sendable) and
/// turn it into a `StreamConnection` there, or `close()` it.
public struct AcceptedSocket: Sendable {
    public let fd: Int32
    public let peer: SocketAddress?
    let limit: ConnectionLimit?

    /// Closes the descriptor and gives back its connection slot.
    public func close() {
        Syscall.close(fd)
        limit?.release()
    }
}
