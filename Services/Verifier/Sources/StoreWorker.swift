import Dispatch
import Foundation
import Synchronization
import SyncCore

/// Owns a `CodeStore` on dedicated threads. Each thread creates its own store, which never leaves
/// it; tasks hand closures to whichever thread is free and await a continuation it resumes, so no
/// task ever blocks on the store (ARCHITECTURE.md "I/O and concurrency"). SQLite uses one thread
/// (one writer); Redis several, so requests do not queue behind one network round trip.
final class StoreWorker: Sendable {
    private let mailbox: Mailbox

    /// Starts `threads` threads, each opening a store with `open`. If opening fails, every job on
    /// that thread fails with that error (the service reports the store unavailable) rather than the
    /// process crashing.
    init(name: String, threads: Int = 1, open: @escaping @Sendable () throws -> any CodeStore) {
        let count = max(1, threads)
        let mailbox = Mailbox(threads: count)
        self.mailbox = mailbox
        for index in 0..<count {
            let thread = Thread { StoreWorker.serve(mailbox, open: open) }
            thread.name = count == 1 ? name : "\(name)-\(index)"
            thread.start()
        }
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

    /// Jobs posted and not yet taken by a thread (tests use it to order jobs).
    var pendingJobs: Int { mailbox.pending }

    /// Finishes the queued jobs, closes the stores and ends the threads.
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

    /// The queue between tasks and the worker threads: a FIFO under a mutex, and a semaphore counting
    /// posted jobs plus one per thread for `close`.
    final class Mailbox: Sendable {
        private struct State {
            var jobs: [Job] = []
            var head = 0
            var closed = false
            var running: Int
            var finished = false
            var onFinish: [@Sendable () -> Void] = []
        }

        private let state: Locked<State>
        private let signal = DispatchSemaphore(value: 0)
        private let threads: Int

        init(threads: Int) {
            self.threads = threads
            state = Locked(State(running: threads))
        }

        var pending: Int { state.withLock { $0.jobs.count - $0.head } }

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

        /// Refuses new jobs; the threads end after the queued ones. `then` runs once all have ended.
        func close(then: (@Sendable () -> Void)?) {
            let (wake, runNow) = state.withLock { s -> (Bool, Bool) in
                if s.finished { return (false, true) }
                if let then { s.onFinish.append(then) }
                let first = !s.closed
                s.closed = true
                return (first, false)
            }
            if runNow { then?() }
            if wake {
                for _ in 0..<threads { signal.signal() }
            }
        }

        /// Blocks a worker thread until a job arrives; nil once closed and drained.
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

        /// Called by each thread as it ends; the last one runs the `close` callbacks.
        func finish() {
            let callbacks = state.withLock { s -> [@Sendable () -> Void] in
                s.running -= 1
                guard s.running == 0 else { return [] }
                s.finished = true
                defer { s.onFinish = [] }
                return s.onFinish
            }
            for callback in callbacks { callback() }
        }
    }
}
