import Contracts
import SocketCore
import Testing
@testable import ConnectorService
import SyncCore

@Suite("Retry policy, circuit breaker, idempotency cache")
struct ReliabilityTests {
    @Test func backoffIsFullJitterUnderAnExponentialCeiling() {
        let policy = RetryPolicy(budget: .seconds(10), baseDelay: .milliseconds(100), maxDelay: .seconds(1))
        for attempt in 0..<8 {
            let ceiling = min(Duration.seconds(1), .milliseconds(100) * (1 << attempt))
            for _ in 0..<50 {
                let delay = policy.delay(beforeRetry: attempt, retryAfter: nil)
                #expect(delay >= .zero && delay <= ceiling)
            }
        }
    }

    @Test func backoffHonoursRetryAfter() {
        let policy = RetryPolicy(budget: .seconds(10))
        #expect(policy.delay(beforeRetry: 0, retryAfter: .seconds(3)) >= .seconds(3))
    }

    @Test func permanentFailureIsNotRetried() async {
        let policy = RetryPolicy(budget: .seconds(5), baseDelay: .milliseconds(1))
        let counter = Counter()
        await #expect(throws: DeliveryFailure.permanent("no")) {
            _ = try await policy.run(deadline: .now + .seconds(5)) { _ in
                counter.increment()
                throw DeliveryFailure.permanent("no")
            }
        }
        #expect(counter.value == 1)
    }

    @Test func transientFailureIsRetriedUntilSuccess() async throws {
        let policy = RetryPolicy(budget: .seconds(60), baseDelay: .milliseconds(1))
        let counter = Counter()
        let (value, attempts) = try await policy.run(deadline: .now + .seconds(60)) { _ in
            counter.increment()
            if counter.value < 4 { throw DeliveryFailure.transient("busy") }
            return "ok"
        }
        #expect(value == "ok")
        #expect(attempts == 4)
    }

    @Test func retryAfterLongerThanTheBudgetStopsAtOnce() async {
        let policy = RetryPolicy(budget: .seconds(1))
        let started = ContinuousClock.now
        await #expect(throws: DeliveryFailure.rateLimited(retryAfter: .seconds(60))) {
            _ = try await policy.run(deadline: .now + .seconds(1)) { _ -> Int in throw DeliveryFailure.rateLimited(retryAfter: .seconds(60)) }
        }
        // Far below the 60 s wait it refused to make, with room for a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func breakerOpensAfterThresholdConsecutiveFailures() {
        let breaker = CircuitBreaker(threshold: 3, coolDown: .seconds(30))
        let now = ContinuousClock.now
        breaker.recordFailure(now: now)
        breaker.recordFailure(now: now)
        #expect(breaker.admit(now: now))
        breaker.recordFailure(now: now)
        #expect(!breaker.admit(now: now))
        #expect(!breaker.admit(now: now + .seconds(29)))
    }

    @Test func successResetsTheFailureCount() {
        let breaker = CircuitBreaker(threshold: 2, coolDown: .seconds(30))
        breaker.recordFailure()
        breaker.recordSuccess()
        breaker.recordFailure()
        #expect(breaker.admit())
    }

    @Test func breakerAdmitsOneTrialAfterCoolDownAndClosesOnSuccess() {
        let breaker = CircuitBreaker(threshold: 1, coolDown: .seconds(30))
        let now = ContinuousClock.now
        breaker.recordFailure(now: now)
        #expect(breaker.admit(now: now + .seconds(31)))
        #expect(breaker.current == .halfOpen)
        #expect(!breaker.admit(now: now + .seconds(31)))
        breaker.recordSuccess()
        #expect(breaker.admit(now: now + .seconds(31)))
    }

    @Test func failedTrialReopensTheBreaker() {
        let breaker = CircuitBreaker(threshold: 1, coolDown: .seconds(30))
        let now = ContinuousClock.now
        breaker.recordFailure(now: now)
        #expect(breaker.admit(now: now + .seconds(31)))
        breaker.recordFailure(now: now + .seconds(31))
        #expect(!breaker.admit(now: now + .seconds(40)))
        #expect(breaker.admit(now: now + .seconds(62)))
    }

    @Test func idempotencyCacheIsBoundedInSize() async throws {
        let cache = IdempotencyCache<Int>(ttl: .seconds(600), capacity: 10)
        for i in 0..<50 { _ = try await cache.value(for: "k\(i)") { i } }
        #expect(cache.count <= 10)
        // The newest keys are still remembered.
        #expect(try await cache.value(for: "k49") { -1 } == 49)
    }

    /// The delivery task runs on the loop it is given (the RPC connection's), not on the global
    /// pool: one thread hop less each way per delivery (issue 7); without one, on the pool.
    @Test func idempotencyCacheRunsTheOperationOnTheGivenLoop() async throws {
        let loop = try EventLoop(name: "idem")
        defer { loop.shutdown() }
        let cache = IdempotencyCache<Bool>(ttl: .seconds(600), capacity: 10)
        #expect(try await cache.value(for: "on-loop", on: loop) { loop.inEventLoop })
        #expect(try await !cache.value(for: "pool") { loop.inEventLoop })
    }

    @Test func idempotencyEntriesExpire() async throws {
        let cache = IdempotencyCache<Int>(ttl: .zero, capacity: 10)
        _ = try await cache.value(for: "k") { 1 }
        #expect(try await cache.value(for: "k") { 2 } == 2)
    }
}

final class Counter: Sendable {
    private let storage = Locked(0)
    func increment() { storage.withLock { $0 += 1 } }
    var value: Int { storage.withLock { $0 } }
}

import Synchronization
