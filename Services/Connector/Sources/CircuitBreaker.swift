import Synchronization
import SyncCore

/// A per-provider circuit breaker: after `threshold` consecutive failed deliveries it opens and refuses
/// work for `coolDown`; then it lets one trial through (half-open), which closes it on success or opens
/// it again on failure.
final class CircuitBreaker: Sendable {
    enum State: Sendable, Equatable {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant)
        case halfOpen
    }

    let threshold: Int
    let coolDown: Duration
    private let state = Locked<State>(.closed(failures: 0))

    init(threshold: Int, coolDown: Duration) {
        self.threshold = max(1, threshold)
        self.coolDown = coolDown
    }

    var current: State { state.withLock { $0 } }

    /// Whether a delivery may go to this provider now. Moving from open to half-open admits exactly one caller.
    func admit(now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { s in
            switch s {
            case .closed: return true
            case .halfOpen: return false
            case .open(let until):
                guard now >= until else { return false }
                s = .halfOpen
                return true
            }
        }
    }

    func recordSuccess() {
        state.withLock { $0 = .closed(failures: 0) }
    }

    func recordFailure(now: ContinuousClock.Instant = .now) {
        state.withLock { s in
            switch s {
            case .closed(let failures):
                s = failures + 1 >= threshold ? .open(until: now + coolDown) : .closed(failures: failures + 1)
            case .halfOpen, .open:
                s = .open(until: now + coolDown)
            }
        }
    }
}
