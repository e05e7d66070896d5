import Dispatch
import Foundation
import Synchronization
import SyncCore

/// Owns a `CodeStore` on one dedicated thread. The store is created on that thread and never leaves
/// it; tasks hand it closures and await a continuation the thread resumes, so no task ever blocks on
/// SQLite (ARCHITECTURE.md "I/O and concurrency").
final class StoreWorker: Sendable {
    private let mailbox = Mailbox()

    /// Starts the thread, which opens the store with `open`. If opening fails, every job fails with
    /// that error (the service reports the store unavailable) rather than the process crashing.
    init(name: String, open: @escaping @Sendable () throws -> any CodeStore) {
        let mailbox = self.mailbox
        let thread = Thread { StoreWorker.serve(mailbox, open: open) }
        thread.name = name
        thread.start()
    }

    deinit {
        mailbox.close(then: nil)
    }

    /// Runs `body` with the store on the worker thread.
    func perform<T: Sendable>(_ body: @escaping @Sendable (any CodeStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = mailbox.post { opened in
                do {
                    continuation.resume(returning: try body(opened.get()))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            if !accepted { continuation.resume(throwing: StoreWorkerError.stopped) }
        }
    }

    /// Finishes the queued jobs, closes the store and ends the thread.
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            mailbox.close { continuation.resume() }
        }
    }

    private static func serve(_ mailbox: Mailbox, open: @Sendable () throws -> any CodeStore) {
        var store: Result<any CodeStore, any Error> = Result { try open() }
        while let job = mailbox.next() {
            job(store)
        }
        // Drop the store here, on its own thread, before telling anyone it is closed.
        store = .failure(StoreWorkerError.stopped)
        mailbox.finish()
    }
}

enum StoreWorkerError: Error, CustomStringConvertible {
    case stopped
    var description: String { "the store worker has stopped" }
}

extension StoreWorker {
    typealias Job = @Sendable (Result<any CodeStore, any Error>) -> Void

    /// The queue between tasks and the worker thread: a FIFO under a mutex, and a semaphore counting
    /// posted jobs plus one for `close`.
    final class Mailbox: Sendable {
        private struct State {
            var jobs: [Job] = []
            var head = 0
            var closed = false
            var finished = false
            var onFinish: [@Sendable () -> Void] = []
        }

        private let state = Locked(State())
        private let signal = DispatchSemaphore(value: 0)

        /// False if the mailbox is closed.
        func post(_ job: @escaping Job) -> Bool {
            let accepted = state.withLock { s in
                guard !s.closed else { return false }
                s.jobs.append(job)
                return true
            }
            if accepted { signal.signal() }
            return accepted
        }

        /// Refuses new jobs; the thread ends after the queued ones. `then` runs once it has ended.
        func close(then: (@Sendable () -> Void)?) {
            let (wake, runNow) = state.withLock { s -> (Bool, Bool) in
                if s.finished { return (false, true) }
                if let then { s.onFinish.append(then) }
                let first = !s.closed
                s.closed = true
                return (first, false)
            }
            if runNow { then?() }
            if wake { signal.signal() }
        }

        /// Blocks the worker thread until a job arrives; nil once closed and drained.
        func next() -> Job? {
            while true {
                signal.wait()
                let job = state.withLock { s -> Job?? in
                    if s.head < s.jobs.count {
                        let job = s.jobs[s.head]
                        s.head += 1
                        // Compact now and then so the array does not grow forever.
                        if s.head > 64 && s.head * 2 > s.jobs.count {
                            s.jobs.removeFirst(s.head)
                            s.head = 0
                        }
                        return .some(job)
                    }
                    return s.closed ? .some(nil) : nil
                }
                if let job { return job }
            }
        }

        func finish() {
            let callbacks = state.withLock { s in
                s.finished = true
                defer { s.onFinish = [] }
                return s.onFinish
            }
            for callback in callbacks { callback() }
        }
    }
}
