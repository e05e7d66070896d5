import Dispatch
import Synchronization
import SocketCore
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

    /// Runs the jobs on `loop`'s thread instead of a thread of their own: the store opens there and
    /// each batch runs as a step of the loop, between its reads and writes. For a store without
    /// network I/O (SQLite), so a verifier with one loop serves a request without a thread hop:
    /// the task awaiting `perform` is on the same loop, and its continuation resumes there without a
    /// wake-up (issue 7: about half of the verifier's time was the kernel waking the store thread
    /// and the loop for each other).
    init(name: String, loop: EventLoop, open: @escaping @Sendable () throws -> any CodeStore) {
        let mailbox = Mailbox(threads: 1)
        self.mailbox = mailbox
        let driver = LoopDriver(loop: loop, mailbox: mailbox, open: open)
        mailbox.setWake { driver.schedule() }
        driver.schedule()
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
    /// undid it if the batch did not stand, else with the job's own result.
    fileprivate static func run(_ jobs: [Job], on store: any CodeStore) {
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
        /// Set for a mailbox served by an event loop: called instead of signalling the semaphore.
        /// Held in a class: a closure read through `withLock`'s `inout` gets re-wrapped in a pair of
        /// reabstraction thunks on every access, a chain that grows with each job (seen in perf).
        private let wake = Locked<Wake?>(nil)

        final class Wake: Sendable {
            let run: @Sendable () -> Void
            init(_ run: @escaping @Sendable () -> Void) { self.run = run }
        }

        func setWake(_ wake: @escaping @Sendable () -> Void) {
            let target = Wake(wake)
            self.wake.withLock { $0 = target }
        }

        private func notify(times: Int = 1) {
            if let wake = wake.withLock({ $0 }) {
                if times > 0 { wake.run() }
            } else {
                for _ in 0..<times { signal.signal() }
            }
        }

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

        /// Fails every queued job with `error` (its runner is gone).
        func failQueued(_ error: any Error) {
            let queued = state.withLock { s -> [Job] in
                defer {
                    s.jobs = []
                    s.head = 0
                }
                return Array(s.jobs[s.head...])
            }
            for job in queued { job.fail(error) }
        }

        /// Queues `job`; returns why it was refused instead (closed, or no thread to run it).
        func post(_ job: Job) -> (any Error)? {
            let refusal = state.withLock { s -> (any Error)? in
                if let failure = s.startFailure { return failure }
                guard !s.closed else { return StoreWorkerError.stopped }
                s.jobs.append(job)
                return nil
            }
            if refusal == nil { notify() }
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
            notify(times: wake)
        }

        /// Blocks a worker thread until a job arrives, then takes a batch (`take`); nil once closed
        /// and drained.
        func next(limit: Int) -> [Job]? {
            while true {
                signal.wait()
                guard let jobs = take(limit: limit) else { return nil }
                if !jobs.isEmpty { return jobs }
            }
        }

        /// Takes up to `limit` queued jobs in FIFO order, stopping before a solo job (a solo job at
        /// the head is taken alone): empty when none is queued, nil once closed and drained.
        func take(limit: Int) -> [Job]? {
            state.withLock { s -> [Job]? in
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

extension StoreWorker {
    /// Serves a mailbox from an event loop: `schedule` queues one `drain` on the loop unless one is
    /// already queued; a drain runs one batch and queues the next if jobs are left, so a long queue
    /// never keeps the loop from its descriptors.
    ///
    /// `@unchecked Sendable`, proof: `scheduled` is atomic; `store` and `done` are read and written
    /// only in `drain`, which runs only on `loop`'s thread.
    final class LoopDriver: @unchecked Sendable {
        let loop: EventLoop
        let mailbox: Mailbox
        let open: @Sendable () throws -> any CodeStore
        private let scheduled = Atomic<Bool>(false)
        private let abandoned = Atomic<Bool>(false)
        private var store: Result<any CodeStore, any Error>?
        private var done = false

        init(loop: EventLoop, mailbox: Mailbox, open: @escaping @Sendable () throws -> any CodeStore) {
            self.loop = loop
            self.mailbox = mailbox
            self.open = open
        }

        func schedule() {
            guard !scheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
            if !loop.execute({ self.drain() }), !abandoned.exchange(true, ordering: .acquiringAndReleasing) {
                // The loop has stopped: nothing will run here again. Later jobs are refused and the
                // queued ones fail, so no caller waits forever.
                mailbox.threadDidNotStart(StoreWorkerError.stopped)
                mailbox.failQueued(StoreWorkerError.stopped)
            }
        }

        private func drain() {
            scheduled.store(false, ordering: .sequentiallyConsistent)
            guard !done else { return }
            let opened: Result<any CodeStore, any Error>
            if let store { opened = store } else {
                opened = Result { try open() }
                store = opened
            }
            let limit = (try? opened.get().maxBatch).map { max(1, $0) } ?? 1
            guard let jobs = mailbox.take(limit: limit) else {
                // Closed and drained: drop the store here, on its thread, before saying so.
                done = true
                store = .failure(StoreWorkerError.stopped)
                mailbox.finish()
                return
            }
            guard !jobs.isEmpty else { return }
            switch opened {
            case .success(let store): StoreWorker.run(jobs, on: store)
            case .failure(let error): for job in jobs { job.fail(error) }
            }
            if mailbox.pending > 0 { schedule() }
        }
    }
}
