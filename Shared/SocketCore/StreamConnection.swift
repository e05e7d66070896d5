import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// A connected, non-blocking stream socket on one loop. Loop-confined: create it, call it and read
/// its callbacks on `loop` only (carry it elsewhere in a `LoopBound`). While open, the loop owns it.
///
/// - Reads arrive through `onRead` as chunks borrowed from the loop's buffer (copy what you keep).
/// - Writes are queued; partial writes and EAGAIN wait for EPOLLOUT. `enqueue` + `flush` lets a
///   caller batch several messages into one `sendmsg`.
/// - `pauseReading`/`resumeReading` stop and restart reads (back-pressure, pipelining).
/// - `close(.lingering)` sends everything, half-closes, and drains the peer briefly before closing,
///   so the peer reads a final response instead of a reset.
/// - `onClose` fires exactly once, with the error that ended the connection, if any.
public final class StreamConnection {
    public let loop: EventLoop
    public let peer: SocketAddress?
    let fd: Int32
    private let limit: ConnectionLimit?
    private var registration: IORegistration?
    private var interest: IOInterest = []
    private var state = State.open
    private var readingPaused = false
    private var readEOF = false
    private var writeShutdownRequested = false
    private var writeShutdownDone = false
    private var queue: [[UInt8]] = []
    private var queueHead = 0
    private var headOffset = 0
    private var lingerTimer: TimerToken?

    /// Bytes queued and not yet accepted by the kernel.
    public private(set) var pendingWriteBytes = 0

    /// Called with each chunk read. The buffer is only valid during the call.
    public var onRead: ((UnsafeRawBufferPointer) -> Void)?
    /// Called once when the peer has finished sending (it may still read). Without it, the
    /// connection closes once its queued writes are sent.
    public var onReadEOF: (() -> Void)?
    /// Called whenever the write queue becomes empty after having been non-empty.
    public var onWriteDrained: (() -> Void)?
    /// Called exactly once when the connection closes, with the error that closed it, if any.
    public var onClose: ((SocketError?) -> Void)?

    private enum State: Equatable {
        case open
        case closingAfterWrites
        case lingering(Duration, started: Bool)
        case closed
    }

    public enum CloseMode: Sendable {
        /// Close now; queued writes are dropped.
        case immediately
        /// Stop reading, send what is queued, then close.
        case afterWrites
        /// Send what is queued, half-close (shutdown SHUT_WR), discard what the peer still sends
        /// until it closes or the duration passes, then close.
        case lingering(Duration)
    }

    /// Loop thread only. Wraps an accepted socket.
    public convenience init(accepted: AcceptedSocket, on loop: EventLoop) throws(SocketError) {
        try self.init(fd: accepted.fd, peer: accepted.peer, loop: loop, limit: accepted.limit)
    }

    /// Loop thread only. Takes ownership of `fd` (closed if registration fails).
    init(fd: Int32, peer: SocketAddress?, loop: EventLoop, limit: ConnectionLimit?) throws(SocketError) {
        self.fd = fd
        self.peer = peer
        self.loop = loop
        self.limit = limit
        do {
            registration = try loop.register(fd: fd, interest: .readable) { [self] events in handle(events) }
            interest = .readable
        } catch {
            Syscall.close(fd)
            limit?.release()
            throw error
        }
    }

    public var isOpen: Bool { state != .closed }
    public var isReadingPaused: Bool { readingPaused }

    // MARK: Reading

    public func pauseReading() {
        guard !readingPaused else { return }
        readingPaused = true
        updateInterest()
    }

    public func resumeReading() {
        guard readingPaused else { return }
        readingPaused = false
        updateInterest()
    }

    private func handle(_ events: IOEvents) {
        if events.contains(.loopShutdown) {
            closeNow(nil)
            return
        }
        if events.contains(.writable) { flush() }
        guard state != .closed else { return }
        if events.contains(.readable) {
            readAvailable()
        } else if events.contains(.error) {
            let code = Syscall.pendingError(fd)
            closeNow(code == 0 ? nil : SocketError(errno: code, call: "socket"))
        } else if events.contains(.hangup) {
            // Both directions are gone (EPOLLHUP): nothing more can be read or written.
            closeNow(nil)
        }
    }

    private func readAvailable() {
        let buffer = loop.readBuffer
        let outcome: IOResult<Int>
        do {
            outcome = try Syscall.read(fd, into: buffer)
        } catch {
            closeNow(error)
            return
        }
        switch outcome {
        case .wouldBlock:
            return
        case .done(0):
            handleEOF()
        case .done(let count):
            if case .lingering = state { return }  // draining: the peer's data is discarded
            onRead?(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    private func handleEOF() {
        readEOF = true
        switch state {
        case .lingering, .closingAfterWrites:
            if case .lingering(_, started: true) = state {
                closeNow(nil)
            } else {
                updateInterest()
            }
        case .open:
            updateInterest()
            if let onReadEOF {
                onReadEOF()
            } else {
                close(.afterWrites)
            }
        case .closed:
            return
        }
    }

    // MARK: Writing

    /// Queues `bytes` and tries to send right away.
    public func write(_ bytes: [UInt8]) {
        enqueue(bytes)
        flush()
    }

    /// Sends `bytes` right away if the queue is empty, copying only what the kernel did not take.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard acceptsWrites, !bytes.isEmpty else { return }
        if queueHead == queue.count {
            let sent: Int
            do {
                switch try Syscall.send(fd, bytes) {
                case .done(let count): sent = count
                case .wouldBlock: sent = 0
                }
            } catch {
                closeNow(error)
                return
            }
            if sent == bytes.count { return }
            enqueue(Array(bytes[sent...]))
            updateInterest()
        } else {
            enqueue(Array(bytes))
            flush()
        }
    }

    /// Queues `bytes` without a system call; `flush()` sends the queue.
    public func enqueue(_ bytes: [UInt8]) {
        guard acceptsWrites, !bytes.isEmpty else { return }
        queue.append(bytes)
        pendingWriteBytes += bytes.count
    }

    private var acceptsWrites: Bool {
        (state == .open) && !writeShutdownRequested
    }

    /// Sends as much of the queue as the kernel takes (one sendmsg for up to 64 buffers); the rest
    /// waits for EPOLLOUT.
    public func flush() {
        guard state != .closed else { return }
        while queueHead < queue.count {
            let outcome: IOResult<Int>
            do {
                outcome = try sendQueued()
            } catch {
                closeNow(error)
                return
            }
            guard case .done(var sent) = outcome else { break }
            pendingWriteBytes -= sent
            while sent > 0, queueHead < queue.count {
                let remaining = queue[queueHead].count - headOffset
                if sent >= remaining {
                    sent -= remaining
                    queue[queueHead] = []
                    queueHead += 1
                    headOffset = 0
                } else {
                    headOffset += sent
                    sent = 0
                }
            }
        }
        if queueHead == queue.count {
            let hadQueue = !queue.isEmpty
            queue.removeAll(keepingCapacity: queue.capacity <= 64)
            queueHead = 0
            if hadQueue || interest.contains(.writable) {
                updateInterest()
                writesDrained(notify: hadQueue)
            } else {
                writesDrained(notify: false)
            }
        } else {
            if queueHead > 32 {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            updateInterest()
        }
    }

    private func sendQueued() throws(SocketError) -> IOResult<Int> {
        let count = min(queue.count - queueHead, 64)
        if count == 1 {
            let offset = headOffset
            let result = queue[queueHead].withUnsafeBytes { raw in
                Result { () throws(SocketError) in try Syscall.send(fd, UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            }
            return try result.get()
        }
        let iovecs = UnsafeMutablePointer<iovec>.allocate(capacity: count)
        defer { iovecs.deallocate() }
        let result = withPinnedBuffers(count: count, into: iovecs) {
            var message = msghdr()
            message.msg_iov = iovecs
            message.msg_iovlen = count
            return Result { () throws(SocketError) in
                try Syscall.retrying("sendmsg") { Glibc.sendmsg(fd, &message, Int32(MSG_NOSIGNAL)) }
            }
        }
        return try result.get()
    }

    /// Points `iovecs` at the next `count` queued buffers and calls `body` while each buffer's storage
    /// is pinned by its own `withUnsafeBytes` scope (nested, one per buffer).
    private func withPinnedBuffers<R>(
        count: Int, into iovecs: UnsafeMutablePointer<iovec>, filled: Int = 0, _ body: () -> R
    ) -> R {
        if filled == count { return body() }
        let offset = filled == 0 ? headOffset : 0
        return queue[queueHead + filled].withUnsafeBytes { raw in
            let base = raw.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) + offset }
            iovecs[filled] = iovec(iov_base: base, iov_len: raw.count - offset)
            return withPinnedBuffers(count: count, into: iovecs, filled: filled + 1, body)
        }
    }

    private func writesDrained(notify: Bool) {
        if writeShutdownRequested, !writeShutdownDone {
            writeShutdownDone = true
            Syscall.shutdown(fd, Int32(SHUT_WR))
        }
        switch state {
        case .closingAfterWrites:
            closeNow(nil)
            return
        case .lingering(let duration, started: false):
            startLinger(duration)
        default:
            break
        }
        if notify { onWriteDrained?() }
    }

    /// Half-closes: the peer sees end-of-stream once queued writes are sent; reading continues.
    public func shutdownWrite() {
        guard state != .closed, !writeShutdownRequested else { return }
        writeShutdownRequested = true
        if queueHead == queue.count {
            writeShutdownDone = true
            Syscall.shutdown(fd, Int32(SHUT_WR))
        }
    }

    // MARK: Closing

    public func close(_ mode: CloseMode = .afterWrites) {
        switch (state, mode) {
        case (.closed, _):
            return
        case (_, .immediately):
            closeNow(nil)
        case (.open, .afterWrites), (.lingering(_, started: false), .afterWrites):
            if queueHead == queue.count {
                closeNow(nil)
            } else {
                state = .closingAfterWrites
                updateInterest()
            }
        case (.open, .lingering(let duration)):
            state = .lingering(duration, started: false)
            if queueHead == queue.count { startLinger(duration) } else { updateInterest() }
        default:
            return  // already closing
        }
    }

    private func startLinger(_ duration: Duration) {
        state = .lingering(duration, started: true)
        if readEOF {
            closeNow(nil)
            return
        }
        if !writeShutdownDone {
            writeShutdownDone = true
            Syscall.shutdown(fd, Int32(SHUT_WR))
        }
        updateInterest()
        lingerTimer = loop.scheduleTimer(after: duration) { [weak self] in
            self?.lingerTimer = nil
            self?.closeNow(nil)
        }
    }

    private func closeNow(_ error: SocketError?) {
        guard state != .closed else { return }
        state = .closed
        if let lingerTimer { loop.cancelTimer(lingerTimer) }
        lingerTimer = nil
        if let registration { loop.deregister(registration) }  // before close: fd numbers get reused
        registration = nil
        Syscall.close(fd)
        limit?.release()
        queue = []
        queueHead = 0
        pendingWriteBytes = 0
        let callback = onClose
        // Dropping the callbacks breaks the cycles they usually form with their owner.
        onRead = nil
        onReadEOF = nil
        onWriteDrained = nil
        onClose = nil
        callback?(error)
    }

    private func updateInterest() {
        guard state != .closed, let registration else { return }
        var wanted: IOInterest = []
        switch state {
        case .lingering(_, started: true):
            if !readEOF { wanted.insert(.readable) }
        case .open:
            if !readingPaused, !readEOF { wanted.insert(.readable) }
        default:
            break
        }
        if queueHead < queue.count { wanted.insert(.writable) }
        guard wanted != interest else { return }
        do {
            try loop.reregister(registration, interest: wanted)
            interest = wanted
        } catch {
            closeNow(error)
        }
    }
}
