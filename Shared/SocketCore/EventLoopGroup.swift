import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One event loop per core, handed out round robin.
public final class EventLoopGroup: Sendable {
    public let loops: [EventLoop]
    private let counter = Atomic<Int>(0)

    /// Online cores as the kernel reports them, at least 1.
    public static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    public init(threads: Int = EventLoopGroup.coreCount, name: String = "loop") throws(SocketError) {
        var loops: [EventLoop] = []
        do {
            for index in 0..<max(1, threads) {
                loops.append(try EventLoop(name: "\(name)-\(index)"))
            }
        } catch {
            for loop in loops { loop.shutdown() }
            throw error
        }
        self.loops = loops
    }

    /// The next loop, round robin.
    public func next() -> EventLoop {
        let index = counter.add(1, ordering: .relaxed).oldValue
        return loops[index % loops.count]
    }

    /// Stops every loop and waits for their threads, without blocking the caller's thread.
    public func shutdownGracefully() async {
        for loop in loops { await loop.shutdownGracefully() }
    }

    /// Stops every loop and blocks until their threads have exited. Not from one of the loops.
    public func shutdown() {
        for loop in loops { loop.shutdown() }
    }
}
