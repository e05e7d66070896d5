/// A long-running part of a process (an RPC server, an HTTP server, a purger). `ServiceRunner`
/// starts services in order and stops them in reverse order.
public protocol Service: Sendable {
    var name: String { get }
    /// Starts the service; returns once it is accepting work.
    func start() async throws
    /// Stops accepting work, finishes what is in flight within `grace`, then releases resources.
    func shutdown(grace: Duration) async
}
