import Synchronization

/// A cap on open connections, shared by every listener and loop of one server.
public final class ConnectionLimit: Sendable {
    public let maximum: Int
    private let open = Atomic<Int>(0)

    public init(maximum: Int) {
        self.maximum = maximum
    }

    public var current: Int { open.load(ordering: .relaxed) }

    /// Takes a slot; false when the limit is reached.
    func acquire() -> Bool {
        let now = open.add(1, ordering: .relaxed).newValue
        if now > maximum {
            open.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() {
        open.subtract(1, ordering: .relaxed)
    }
}
