import Synchronization
import SyncCore

/// Holds a background task so a `Service` can cancel it at shutdown.
public final class TaskHolder: Sendable {
    private let task = Locked<Task<Void, Never>?>(nil)
    public init() {}
    public func set(_ newTask: Task<Void, Never>) { task.withLock { $0 = newTask } }
    public func cancel() { task.withLock { $0?.cancel(); $0 = nil } }
}
