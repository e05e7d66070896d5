import Dispatch
import SyncCore

/// Owns a `CodeStore` on dedicated threads. Each thread creates its own store, which never leaves
/// it; tasks hand closures to whichever thread is free and await a continuation it resumes, so no
/// task ever blocks on the store (ARCHITECTURE.md "I/O and concurrency"). SQLite uses one thread
/// (one writer); Redis several, so requests do not queue behind one network round trip.
///
/// Group commit (issue 7): when a thread wakes it takes every queued job, up to its store's
/// `maxBatch`, and hands them to the store's `runBatch` together (SQLite: one transaction for all).
/// Replies go out only once `runBatch` has returned, so none promises what is not yet durable.
final class StoreWorker: Sendable {
    private let mailbox: Mailbox

    /// Starts `threads` threads, each opening a store with `open`. If opening fails, every job on
    /// that thread fails with that error (the service reports the store unavailable) rather than the
    /// process crashing; if a thread cannot even be started, the same holds with that error.
    init(name: String, threads: Int = 1, open: @escaping @Sendable () throws -> any CodeStore) {
        let count = max(1, threads)
        let mailbox = Mailbox(threads: count)
        self.mailbox = mailbox
        for index in 0..<count {
            do {
                try WorkerThread.start(name: count == 1 ? name : "\(name)-\(index)") {
                    StoreWorker.serve(mailbox, open: open)
                }
            } catch {
                mailbox.threadDidNotStart(error)
            }
        }
    }

    deinit {
        mailbox.close(then: nil)
    }

    /// Runs `body` with the store on a worker thread. A `solo` job is never batched with others:
    /// for long steps (a purge batch) that would otherwise hold back the replies of short ones.
    func perform<T: Sendable>(solo: Bool = false, _ body: @escaping @Sendable (any CodeStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job = Job(solo: solo, run: { store in
                do {
                    let value = try body(store)
                    return Ran(error: nil) { continuation.resume(returning: value) }
                } catch {
                    return Ran(error: error) { continuation.resume(throwing: error) }
                }
            }, fail: { error in
                continuation.resume(throwing: error)
            })
            if let refusal = mailbox.post(job) { continuation.resume(throwing: refusal) }
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
        let limit = (try? store.get().maxBatch).map { max(1, $0) } ?? 1
        while let jobs = mailbox.next(limit: limit) {
            switch store {
            case .success(let opened): run(jobs, on: opened)
            case .failure(let error): for job in jobs { job.fail(error) }
            }
        }
        // Drop the store here, on its own thread, before telling anyone it is closed.
        store = .failure(StoreWorkerError.stopped)
        mailbox.finish()
    }

    /// Runs one batch through the store's hook, then replies to every job: with the error that
    /// undid it if the batch did not stand, else with the job's own result. The hook may run a job
    /// again after rolling back its first run (SQLiteStore+Batch.swift); the last run's result is
    /// the one answered.
    private static func run(_ jobs: [Job], on store: any CodeStore) {
        var ran = [Ran?](repeating: nil, count: jobs.count)
        let undone = store.runBatch(jobs.count) { index in
            let outcome = jobs[index].run(store)
            ran[index] = outcome
            if let error = outcome.error { throw error }
        }
        for (index, job) in jobs.enumerated() {
            if index < undone.count, let error = undone[index] {
                job.fail(error)
            } else if let outcome = ran[index] {
                outcome.reply()
            } else {
                // A hook that skipped a job without saying why: still answer it, exactly once.
                job.fail(StoreWorkerError.notRun)
            }
        }
    }
}

enum StoreWorkerError: Error, CustomStringConvertible {
    case stopped
    case notRun
    var description: String {
        switch self {
        case .stopped: "the store worker has stopped"
        case .notRun: "the store did not run the job"
        }
    }
}

extension StoreWorker {
    /// One queued step. `run` executes it on the store thread and keeps its result for the reply;
    /// `fail` answers it with an error instead. Exactly one of `Ran.reply` and `fail` is called.
    struct Job: Sendable {
        var solo: Bool
        var run: @Sendable (any CodeStore) -> Ran
        var fail: @Sendable (any Error) -> Void
    }

    /// A step that has run: its own error, if any, and the reply with its result, held back until
    /// the batch's fate is known. Lives only on the store thread.
    struct Ran {
        var error: (any Error)?
        var reply: () -> Void
    }

    /// The queue between tasks and the worker threads: a FIFO under a mutex, and a semaphore counting
    /// posted jobs plus one per thread for `close`. A thread taking several jobs leaves their extra
    /// signals behind; its later waits then return at once, find the queue empty and wait again.
    final class Mailbox: Sendable {
        private struct State {
            var jobs: [Job] = []
            var head = 0
            var closed = false
            var running: Int
            var finished = false
            /// Set when no thread could be started: every job fails with it at once.
            var startFailure: (any Error)?
            var onFinish: [@Sendable () -> Void] = []
        }

        private let state: Locked<State>
        private let signal = DispatchSemaphore(value: 0)

        init(threads: Int) {
            state = Locked(State(running: threads))
        }

        var pending: Int { state.withLock { $0.jobs.count - $0.head } }

        /// One thread fewer serves the mailbox; with none left, jobs fail with `error`.
        func threadDidNotStart(_ error: any Error) {
            let callbacks = state.withLock { s -> [@Sendable () -> Void] in
                s.running -= 1
                guard s.running == 0 else { return [] }
                s.startFailure = error
                s.finished = true
                defer { s.onFinish = [] }
                return s.onFinish
            }
            for callback in callbacks { callback() }
        }

        /// Queues `job`; returns why it was refused instead (closed, or no thread to run it).
        func post(_ job: Job) -> (any Error)? {
            let refusal = state.withLock { s -> (any Error)? in
                if let failure = s.startFailure { return failure }
                guard !s.closed else { return StoreWorkerError.stopped }
                s.jobs.append(job)
                return nil
            }
            if refusal == nil { signal.signal() }
            return refusal
        }

        /// Refuses new jobs; the threads end after the queued ones. `then` runs once all have ended.
        func close(then: (@Sendable () -> Void)?) {
            let (wake, runNow) = state.withLock { s -> (Int, Bool) in
                if s.finished { return (0, true) }
                if let then { s.onFinish.append(then) }
                let first = !s.closed
                s.closed = true
                return (first ? s.running : 0, false)
            }
            if runNow { then?() }
            for _ in 0..<wake { signal.signal() }
        }

        /// Blocks a worker thread until a job arrives, then takes up to `limit` queued jobs in FIFO
        /// order, stopping before a solo job (a solo job at the head is taken alone); nil once
        /// closed and drained.
        func next(limit: Int) -> [Job]? {
            while true {
                signal.wait()
                let jobs = state.withLock { s -> [Job]? in
                    guard s.head < s.jobs.count else { return s.closed ? nil : [] }
                    var taken = [s.jobs[s.head]]
                    s.head += 1
                    if !taken[0].solo {
                        while taken.count < limit, s.head < s.jobs.count, !s.jobs[s.head].solo {
                            taken.append(s.jobs[s.head])
                            s.head += 1
                        }
                    }
                    // Compact now and then so the array does not grow forever.
                    if s.head > 64 && s.head * 2 > s.jobs.count {
                        s.jobs.removeFirst(s.head)
                        s.head = 0
                    }
                    return taken
                }
                guard let jobs else { return nil }
                if !jobs.isEmpty { return jobs }
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
