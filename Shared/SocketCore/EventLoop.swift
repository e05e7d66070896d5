import CLinux
import Dispatch
import Synchronization
import SyncCore
#if canImport(Glibc)
import Glibc
#endif

/// One thread, one epoll descriptor, an eventfd for wake-ups from other threads and a timer heap.
///
/// Descriptor registrations, timers and everything that runs on the loop are confined to its thread;
/// only `execute`, `enqueue` (task executor), `inEventLoop` and `shutdown` may be called elsewhere.
/// The loop is a `TaskExecutor`: `Task(executorPreference: loop) { … }` runs every job of the task on
/// this thread, so awaiting a continuation that the loop resumes continues on the same thread.
///
/// `@unchecked Sendable`, proof: the `let` properties are immutable; `inbox` is guarded by a `Locked` (pthread mutex);
/// `thread`, `wakeupPending` and `stopRequested` are atomics; every other stored `var` is read and
/// written only on the loop thread: the methods that touch them are loop-only (documented, and they
/// `assert(inEventLoop)`), and other threads reach the loop solely through the mutex-protected inbox.
public final class EventLoop: @unchecked Sendable {
    public let name: String
    let epollFD: Int32
    let wakeFD: Int32
    /// Scratch space for reads: one per loop, shared by its connections (one read at a time).
    let readBuffer: UnsafeMutableRawBufferPointer

    private let inbox = Locked(Inbox())
    private let thread = Atomic<UInt>(0)
    private let wakeupPending = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchGroup()

    // Loop-thread state.
    private var localQueue: [LocalWork] = []
    private var runningQueue: [LocalWork] = []
    private var registrations: [UInt64: Registration] = [:]
    private var nextRegistrationID: UInt64 = 1
    private var timers = TimerHeap()
    private var timerActions: [UInt64: () -> Void] = [:]
    private var nextTimerID: UInt64 = 1

    private static let wakeID: UInt64 = 0
    private static let maxEvents: Int32 = 256
    static let readBufferSize = 64 * 1024

    private struct Inbox {
        var work: [RemoteWork] = []
        var closed = false
    }

    private enum RemoteWork: Sendable {
        case closure(@Sendable () -> Void)
        case job(UnownedJob)
    }

    private enum LocalWork {
        case closure(() -> Void)
        case job(UnownedJob)
    }

    private struct Registration {
        var fd: Int32
        var interest: IOInterest
        var handler: (IOEvents) -> Void
    }

    /// Creates the loop and starts its thread.
    public init(name: String = "loop") throws(SocketError) {
        Signals.ignoreSIGPIPE()
        self.name = name
        epollFD = try Syscall.check("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        do {
            wakeFD = try Syscall.check("eventfd") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
        } catch {
            Syscall.close(epollFD)
            throw error
        }
        readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16)
        guard clinux_epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, EPOLLIN.rawValue, Self.wakeID) == 0 else {
            let code = clinux_errno()
            Syscall.close(wakeFD)
            Syscall.close(epollFD)
            readBuffer.deallocate()
            throw SocketError(errno: code, call: "epoll_ctl", details: "registering the wake-up eventfd")
        }
        finished.enter()
        try startThread()
    }

    deinit {
        // Closed here, not when the loop stops, so a late `execute` from another thread can never
        // write to a descriptor number that has been reused.
        Syscall.close(wakeFD)
        Syscall.close(epollFD)
        readBuffer.deallocate()
    }

    private func startThread() throws(SocketError) {
        var handle = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&handle, nil, { context in
            guard let context else { return nil }
            let loop = Unmanaged<EventLoop>.fromOpaque(context).takeRetainedValue()
            loop.run()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<EventLoop>.fromOpaque(context).release()
            finished.leave()
            throw SocketError(errno: rc, call: "pthread_create")
        }
        pthread_detach(handle)
    }

    /// True on this loop's thread.
    public var inEventLoop: Bool {
        thread.load(ordering: .relaxed) == UInt(pthread_self())
    }

    // MARK: Submitting work

    /// Runs `work` on the loop thread, soon. Callable from any thread; from the loop itself it queues
    /// without locking. Work submitted after shutdown is dropped and the result is false.
    @discardableResult
    public func execute(_ work: @escaping @Sendable () -> Void) -> Bool {
        if inEventLoop {
            localQueue.append(.closure(work))
            return true
        }
        return submitRemote(.closure(work))
    }

    /// Loop thread only: queues `work` to run after the current event, without the inbox lock.
    public func executeSoon(_ work: @escaping () -> Void) {
        assert(inEventLoop, "executeSoon called off the loop thread")
        localQueue.append(.closure(work))
    }

    /// Runs `body` on the loop and returns its value to the caller, wherever it runs.
    @discardableResult
    /// Throws `SocketError` (ESHUTDOWN) when the loop has stopped.
    public func submit<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let queued = execute {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            if !queued { continuation.resume(throwing: SocketError(errno: ESHUTDOWN, call: "execute", details: "\(name) has stopped")) }
        }
    }

    func enqueueJob(_ job: UnownedJob) {
        if inEventLoop {
            localQueue.append(.job(job))
        } else {
            submitRemote(.job(job))
        }
    }

    @discardableResult
    private func submitRemote(_ work: RemoteWork) -> Bool {
        let accepted = inbox.withLock { inbox -> Bool in
            if inbox.closed { return false }
            inbox.work.append(work)
            return true
        }
        guard accepted else {
            // The loop is gone. A task job must still run or its task would hang forever.
            if case .job(let job) = work { runOrphaned(job) }
            return false
        }
        if !wakeupPending.exchange(true, ordering: .acquiringAndReleasing) {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, MemoryLayout<UInt64>.size)
        }
        return true
    }

    private func runOrphaned(_ job: UnownedJob) {
        let executor = asUnownedTaskExecutor()
        DispatchQueue.global().async { job.runSynchronously(on: executor) }
    }

    // MARK: Timers (loop thread only)

    /// Loop thread only: runs `work` on the loop after `delay`. Timers due at the same time fire in
    /// the order they were scheduled.
    @discardableResult
    public func scheduleTimer(after delay: Duration, _ work: @escaping () -> Void) -> TimerToken {
        assert(inEventLoop, "scheduleTimer called off the loop thread")
        let id = nextTimerID
        nextTimerID += 1
        let deadline = MonotonicClock.now() &+ MonotonicClock.nanoseconds(delay)
        timers.push(.init(deadline: deadline, id: id))
        timerActions[id] = work
        return TimerToken(id: id)
    }

    /// Loop thread only: timers scheduled and neither fired nor cancelled yet (tests).
    var liveTimerCount: Int { timerActions.count }

    /// Loop thread only: timers scheduled since the loop started (tests).
    var timersScheduled: UInt64 { nextTimerID - 1 }

    /// Loop thread only: the timer will not fire. Cancelling a fired or cancelled timer does nothing.
    public func cancelTimer(_ token: TimerToken) {
        assert(inEventLoop, "cancelTimer called off the loop thread")
        guard timerActions.removeValue(forKey: token.id) != nil else { return }
        // Cancelled entries stay in the heap until due; compact when they dominate.
        if timers.count > 256, timers.count > 4 * timerActions.count {
            let live = timerActions
            timers.removeAll { live[$0.id] == nil }
        }
    }

    // MARK: Descriptors (loop thread only)

    /// Loop thread only: watches `fd` (level-triggered) and calls `handler` with what happened.
    public func register(fd: Int32, interest: IOInterest, _ handler: @escaping (IOEvents) -> Void) throws(SocketError)
        -> IORegistration
    {
        assert(inEventLoop, "register called off the loop thread")
        let id = nextRegistrationID
        nextRegistrationID += 1
        guard clinux_epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, interest.epollEvents, id) == 0 else {
            throw SocketError(errno: clinux_errno(), call: "epoll_ctl", details: "adding fd \(fd)")
        }
        registrations[id] = Registration(fd: fd, interest: interest, handler: handler)
        return IORegistration(id: id)
    }

    /// Loop thread only: changes what a registration is interested in.
    public func reregister(_ registration: IORegistration, interest: IOInterest) throws(SocketError) {
        assert(inEventLoop, "reregister called off the loop thread")
        guard var entry = registrations[registration.id] else { return }
        guard entry.interest != interest else { return }
        guard clinux_epoll_ctl(epollFD, EPOLL_CTL_MOD, entry.fd, interest.epollEvents, registration.id) == 0 else {
            throw SocketError(errno: clinux_errno(), call: "epoll_ctl", details: "modifying fd \(entry.fd)")
        }
        entry.interest = interest
        registrations[registration.id] = entry
    }

    /// Loop thread only: stops watching. Call before closing the descriptor.
    public func deregister(_ registration: IORegistration) {
        assert(inEventLoop, "deregister called off the loop thread")
        guard let entry = registrations.removeValue(forKey: registration.id) else { return }
        _ = clinux_epoll_ctl(epollFD, EPOLL_CTL_DEL, entry.fd, 0, 0)
    }

    // MARK: Shutdown

    /// Stops the loop: every registration gets `.loopShutdown`, queued work runs, the thread exits.
    /// From another thread this waits until the thread has exited; on the loop it only requests it.
    public func shutdown() {
        requestStop()
        if !inEventLoop { finished.wait() }
    }

    /// Stops the loop and waits for its thread to exit without blocking the caller's thread.
    public func shutdownGracefully() async {
        requestStop()
        if inEventLoop { return }
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            finished.notify(queue: .global()) { continuation.resume() }
        }
    }

    private func requestStop() {
        guard !stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if inEventLoop { return }
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, MemoryLayout<UInt64>.size)
    }

    // MARK: The loop

    private func run() {
        thread.store(UInt(pthread_self()), ordering: .sequentiallyConsistent)
        _ = clinux_set_thread_name(name)
        let events = UnsafeMutablePointer<UInt32>.allocate(capacity: Int(Self.maxEvents))
        let datas = UnsafeMutablePointer<UInt64>.allocate(capacity: Int(Self.maxEvents))
        defer {
            events.deallocate()
            datas.deallocate()
        }

        while !stopRequested.load(ordering: .acquiring) {
            runQueuedWork()
            let timeout = localQueue.isEmpty && !wakeupPending.load(ordering: .relaxed) ? nextTimeoutMillis() : 0
            let count = clinux_epoll_wait(epollFD, events, datas, Self.maxEvents, timeout)
            if count < 0 {
                // EINTR is expected (signals); anything else would be a bug in how the loop is used.
                continue
            }
            for index in 0..<Int(count) {
                let id = datas[index]
                if id == Self.wakeID {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, MemoryLayout<UInt64>.size)
                    continue
                }
                guard let registration = registrations[id] else { continue }
                registration.handler(IOEvents(epoll: events[index]))
            }
            fireDueTimers()
        }
        finish()
    }

    private func finish() {
        for (_, registration) in registrations { registration.handler(.loopShutdown) }
        var rounds = 0
        repeat {
            runQueuedWork()
            rounds += 1
        } while !localQueue.isEmpty && rounds < 10_000
        let leftovers = inbox.withLock { inbox -> [RemoteWork] in
            inbox.closed = true
            defer { inbox.work = [] }
            return inbox.work
        }
        for work in leftovers {
            switch work {
            case .closure(let closure): closure()
            case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }
        for work in localQueue {
            if case .job(let job) = work { runOrphaned(job) }
        }
        localQueue = []
        for (_, registration) in registrations { _ = clinux_epoll_ctl(epollFD, EPOLL_CTL_DEL, registration.fd, 0, 0) }
        registrations = [:]
        timerActions = [:]
        thread.store(0, ordering: .sequentiallyConsistent)
        finished.leave()
    }

    private func runQueuedWork() {
        wakeupPending.store(false, ordering: .sequentiallyConsistent)
        let remote = inbox.withLock { inbox -> [RemoteWork] in
            if inbox.work.isEmpty { return [] }
            defer { inbox.work = [] }
            return inbox.work
        }
        for work in remote {
            switch work {
            case .closure(let closure): closure()
            case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }
        // Only what was queued before this point runs now, so a task that keeps re-queueing itself
        // cannot starve I/O.
        guard !localQueue.isEmpty else { return }
        swap(&localQueue, &runningQueue)
        for work in runningQueue {
            switch work {
            case .closure(let closure): closure()
            case .job(let job): job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }
        runningQueue.removeAll(keepingCapacity: true)
    }

    private func nextTimeoutMillis() -> Int32 {
        guard let first = timers.first else { return -1 }
        let now = MonotonicClock.now()
        if first.deadline <= now { return 0 }
        let millis = (first.deadline - now + 999_999) / 1_000_000
        return Int32(clamping: millis)
    }

    private func fireDueTimers() {
        guard !timers.isEmpty else { return }
        let now = MonotonicClock.now()
        while let first = timers.first, first.deadline <= now {
            _ = timers.popFirst()
            if let action = timerActions.removeValue(forKey: first.id) { action() }
        }
    }
}

extension EventLoop: TaskExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        enqueueJob(UnownedJob(job))
    }
}

extension EventLoop: CustomStringConvertible {
    public var description: String { "EventLoop(\(name))" }
}
