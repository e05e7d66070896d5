/// Carries a loop-confined value (a connection, a client's state) across concurrency domains, while
/// only ever letting it be touched on its loop.
///
/// `@unchecked Sendable`, proof: the value is bound either on its loop or handed over with `sending`
/// (nobody else keeps it); after that it is only reachable through the accessor below, which checks
/// `loop.inEventLoop` and traps otherwise; so the wrapped value is only ever used on one thread.
/// A trap here is a programming error in this package, never a reaction to outside data.
public struct LoopBound<Value>: @unchecked Sendable {
    public let loop: EventLoop
    private let wrapped: Value

    /// Loop thread only: binds a value that already lives on `loop`.
    public init(_ value: Value, loop: EventLoop) {
        precondition(loop.inEventLoop, "LoopBound created off its loop")
        self.loop = loop
        self.wrapped = value
    }

    /// Any thread: the caller gives `value` up (`sending`), so from here on only the loop reaches it.
    public init(transferring value: sending Value, loop: EventLoop) {
        self.loop = loop
        self.wrapped = value
    }

    /// Loop thread only.
    public var value: Value {
        precondition(loop.inEventLoop, "LoopBound accessed off its loop")
        return wrapped
    }

    /// Runs `body` with the value on its loop: right away when already there, else via `execute`.
    /// False when the loop has stopped and `body` will never run.
    @discardableResult
    public func withValue(_ body: @escaping @Sendable (Value) -> Void) -> Bool {
        if loop.inEventLoop {
            body(wrapped)
            return true
        }
        return loop.execute { body(self.value) }
    }
}
