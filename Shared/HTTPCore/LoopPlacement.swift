import SyncCore

/// Which event loop serves a new HTTP connection (issue 7): the first loop until it holds
/// `firstLoopConnections`, then whichever loop holds the fewest (the lowest-numbered of a tie).
///
/// Why not spread every connection from the start: a loop serving a few connections takes several
/// ready requests per wake-up and writes their verifier calls in one batch, where two loops sharing
/// the same few connections each wake for less, and the verifier with them. On 2 cores with 16
/// connections of wrong guesses, one gateway loop against two: CPU per request 78 → 64 µs (the
/// gateway 52 → 43, the verifier 36 → 30). But one loop for everything is the bottleneck at 64
/// connections (−11%), so past the first loop's share connections are spread until every loop holds
/// about as many. This placement against the kernel's spreading (`SO_REUSEPORT`, one listener per
/// loop), alternating 5 s rounds: verify-miss +12% at 16 connections (CPU per request −18%), +5% at
/// 64, `/healthz` at 64 +5%.
///
/// Thread-safe: `take` runs on the listening loop, `left` on the loop a connection closes on.
public final class LoopPlacement: Sendable {
    public static let defaultFirstLoopConnections = 16

    private let open: Locked<[Int]>
    private let firstLoopConnections: Int

    public init(loops: Int, firstLoopConnections: Int) {
        open = Locked([Int](repeating: 0, count: max(1, loops)))
        self.firstLoopConnections = max(0, firstLoopConnections)
    }

    /// Picks the loop for a new connection and counts it there.
    public func take() -> Int {
        open.withLock { counts in
            var chosen = 0
            if counts[0] >= firstLoopConnections {
                for index in counts.indices where counts[index] < counts[chosen] { chosen = index }
            }
            counts[chosen] += 1
            return chosen
        }
    }

    /// A connection counted on loop `index` has closed (or never started).
    public func left(_ index: Int) {
        open.withLock { $0[index] -= 1 }
    }

    /// Open connections per loop.
    public var counts: [Int] { open.withLock { $0 } }
}
