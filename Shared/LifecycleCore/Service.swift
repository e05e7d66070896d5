/// A long-running part of a process (a server, a background purger). One method to start, one to
/// stop; `ServiceRunner` starts them in order and stops them in reverse order.
public protocol Service: AnyObject, Sendable {
    var name: String { get }
    /// Starts the service; returns once it is accepting work.
    func start() throws
    /// Stops accepting work, finishes what is in flight within `grace`, then releases resources.
    func shutdown(grace: Duration)
}
