/// Carries a loop-confined value (a connection, a client's state) across concurrency domains, while
/// only ever letting it be touched on its loop.
///
/// `@unchecked Sendable`, proof: `value` is only reachable through the accessor below, which checks
/// `loop.inEventLoop` and traps otherwise; so the wrapped value is only ever used on one thread.
/// A trap here is a programming error in this package, never a reaction to outside data.
public struct LoopBound<Value>: @unchecked Sendable {
    public let loop: EventLoop
    private let wrapped: Value

    /// Loop thread only.
    public init(_ value: Value, loop: EventLoop) {
        precondition(loop.inEventLoop, "LoopBound created off its loop")
        self.loop = loop
        self.wrapped = value
    }

    /// Loop thread only.
    public var value: Value {
        precondition(loop.inEventLoop, "LoopBound accessed off its loop")
        return wrapped
    }

    /// Runs `body` with the value on its loop: right away when already there, else via `execute`.
    public func withValue(_ body: @escaping @Sendable (Value) -> Void) {
        if loop.inEventLoop {
            body(wrapped)
        } else {
            loop.execute { body(self.value) }
        }
    }
}
