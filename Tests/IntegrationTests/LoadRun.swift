import Foundation
import SyncCore

/// Runs `workers` OS threads that each call `body(worker, iteration)` at a steady pace until
/// `duration` has passed, and reports back asynchronously. Threads, not tasks: the requests are
/// blocking socket calls, which must not starve the cooperative pool the test runner uses.
enum LoadRun {
    static func run(workers: Int, duration: Double, perWorkerRate: Double,
                    _ body: @escaping @Sendable (_ worker: Int, _ iteration: Int) -> Void) async {
        let group = DispatchGroup()
        let start = Date()
        let interval = 1 / perWorkerRate
        for worker in 0..<workers {
            group.enter()
            let thread = Thread {
                var iteration = 0
                while true {
                    // Pacing (not readiness): start request n at its slot, or at once when behind.
                    let slot = start.addingTimeInterval(Double(iteration) * interval + Double(worker) * interval / Double(workers))
                    let now = Date()
                    if slot.timeIntervalSince(start) >= duration { break }
                    if slot > now { usleep(useconds_t(slot.timeIntervalSince(now) * 1_000_000)) }
                    body(worker, iteration)
                    iteration += 1
                }
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            group.notify(queue: .global()) { continuation.resume() }
        }
    }

    /// Runs `body(i)` for `0..<count` on `count` threads at once and returns the results in order.
    static func parallel<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) async -> [T] {
        let results = Locked<[Int: T]>([:])
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread {
                let value = body(index)
                results.withLock { $0[index] = value }
                group.leave()
            }.start()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            group.notify(queue: .global()) { continuation.resume() }
        }
        return results.withLock { r in (0..<count).compactMap { r[$0] } }
    }

    /// Runs blocking `body` on a plain thread, keeping the test's cooperative thread free (on a
    /// 2-core machine the pool has two; a test blocking one for seconds stalls every async test
    /// running beside it). `#expect` stays in the caller: issues belong to the test's task.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    /// Runs `body` on a plain thread and returns its result, for one long blocking step in an async test.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }
}
