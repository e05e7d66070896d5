import SyncCore

/// Reconnect backoff shared by every connection of one store (all its worker threads): after a
/// failure, calls fail at once with `backingOff` until the wait is over, so an outage costs each
/// request microseconds instead of a timeout, and a fleet of verifiers does not hammer a Redis that
/// is coming back. The wait doubles per consecutive failure, from `initial` up to `maximum`, with
/// ±20 % jitter so many verifiers do not retry in lockstep.
final class RedisBackoff: Sendable {
    private struct State {
        var failures = 0
        var retryAt: ContinuousClock.Instant?
    }

    private let state = Locked(State())
    let initial: Duration
    let maximum: Duration

    init(initial: Duration = .milliseconds(50), maximum: Duration = .seconds(1)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// Throws `backingOff` while a wait is running.
    func permit() throws(RedisError) {
        let now = ContinuousClock.now
        let wait = state.withLock { s -> Duration? in
            guard let retryAt = s.retryAt, now < retryAt else { return nil }
            return retryAt - now
        }
        if let wait {
            let (seconds, attoseconds) = wait.components
            throw .backingOff(retryInMilliseconds: Int(seconds * 1000 + attoseconds / 1_000_000_000_000_000) + 1)
        }
    }

    func recordFailure() {
        let now = ContinuousClock.now
        state.withLock { s in
            s.failures += 1
            var wait = initial
            for _ in 1..<min(s.failures, 16) where wait < maximum { wait *= 2 }
            wait = min(wait, maximum) * Double.random(in: 0.8...1.2)
            s.retryAt = now + wait
        }
    }

    func recordSuccess() {
        state.withLock { s in
            if s.failures != 0 || s.retryAt != nil { s = State() }
        }
    }

    var consecutiveFailures: Int {
        state.withLock { $0.failures }
    }
}
