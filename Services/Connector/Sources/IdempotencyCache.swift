import Synchronization
import SyncCore

/// Remembers deliveries by idempotency key so a repeated `deliver` (a gateway retry, or two calls at
/// once) sends once and gets the first result. Bounded in size and age; failures are forgotten so a
/// later retry may try again.
final class IdempotencyCache<Value: Sendable>: Sendable {
    private enum Entry {
        case pending(Task<Value, any Error>)
        case done(Value)
    }

    private enum Lookup {
        case hit(Value)
        case wait(Task<Value, any Error>, UInt64)
    }

    private struct Slot {
        var entry: Entry
        var insertedAt: ContinuousClock.Instant
        var generation: UInt64
    }

    private struct State {
        var slots: [String: Slot] = [:]
        /// Keys in insertion order, for expiry and eviction of the oldest.
        var order: [(key: String, generation: UInt64)] = []
        var head = 0
        var nextGeneration: UInt64 = 0

        mutating func purge(now: ContinuousClock.Instant, ttl: Duration, capacity: Int) {
            while head < order.count {
                let (key, generation) = order[head]
                guard let slot = slots[key], slot.generation == generation else {
                    head += 1
                    continue
                }
                let expired = slot.insertedAt + ttl < now
                let overfull = slots.count > capacity
                guard expired || overfull else { break }
                slots[key] = nil
                head += 1
            }
            // Compact now and then so the order list stays proportional to the live entries.
            if head > 1024, head * 2 > order.count {
                order.removeFirst(head)
                head = 0
            }
        }
    }

    let ttl: Duration
    let capacity: Int
    private let state = Locked(State())

    init(ttl: Duration = .seconds(600), capacity: Int = 10_000) {
        self.ttl = ttl
        self.capacity = max(1, capacity)
    }

    var count: Int { state.withLock { $0.slots.count } }

    /// Returns the remembered value for `key`, joins a delivery already under way, or starts `operation`
    /// in its own task (so a cancelled caller does not cancel the send others wait for). The task
    /// prefers `executor` when given (the caller's event loop: no hop to the global pool and back).
    func value(for key: String, on executor: (any TaskExecutor)? = nil,
               _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let lookup: Lookup = state.withLock { s in
            let now = ContinuousClock.now
            s.purge(now: now, ttl: ttl, capacity: capacity)
            if let slot = s.slots[key] {
                switch slot.entry {
                case .done(let v): return .hit(v)
                case .pending(let t): return .wait(t, slot.generation)
                }
            }
            let task = Task(executorPreference: executor) { try await operation() }
            s.nextGeneration += 1
            s.slots[key] = Slot(entry: .pending(task), insertedAt: now, generation: s.nextGeneration)
            s.order.append((key, s.nextGeneration))
            s.purge(now: now, ttl: ttl, capacity: capacity)
            return .wait(task, s.nextGeneration)
        }
        switch lookup {
        case .hit(let v):
            return v
        case .wait(let task, let generation):
            do {
                let v = try await task.value
                state.withLock { s in
                    if let slot = s.slots[key], slot.generation == generation { s.slots[key]?.entry = .done(v) }
                }
                return v
            } catch {
                state.withLock { s in
                    if let slot = s.slots[key], slot.generation == generation { s.slots[key] = nil }
                }
                throw error
            }
        }
    }
}
