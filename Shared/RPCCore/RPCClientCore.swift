import Contracts
import LogCore
import SocketCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The loop-confined half of `RPCClient`: the connection, the calls waiting for replies, the
/// reconnect schedule.
final class RPCClientCore {
    struct Call: Sendable {
        var id: UInt64
        var method: String
        var frame: [UInt8]
        var idempotent: Bool
        var deadline: Duration
    }

    private struct Pending {
        var call: Call
        var continuation: UnsafeContinuation<[UInt8], any Error>
        /// When the call fails unanswered (`MonotonicClock`); a retry keeps it.
        var expiresAt: UInt64
        var retried = false
    }

    private let address: SocketAddress
    private let loop: EventLoop
    private let status: RPCClientStatus
    private let logger: Logger?
    private var connection: StreamConnection?
    private var connecting = false
    private var decoder = FrameDecoder()
    private var pending: [UInt64: Pending] = [:]
    /// Armed at the earliest `expiresAt` of the calls in flight, roughly: at or before it. One
    /// deadline for all calls instead of a loop timer scheduled and cancelled per call
    /// (DeadlineTimer.swift).
    private lazy var expiry = DeadlineTimer(loop: loop) { [weak self] in self?.expireCalls() }
    /// Calls to send once connected, in order (ids; those no longer pending are skipped).
    private var waiting: [UInt64] = []
    private var flushScheduled = false
    private var reconnectTimer: TimerToken?
    private var backoff = RPCClientCore.initialBackoff
    private var everConnected = false
    private var closed = false

    private static let initialBackoff: Duration = .milliseconds(10)
    private static let maxBackoff: Duration = .seconds(1)
    private static let connectTimeout: Duration = .milliseconds(500)

    init(address: SocketAddress, loop: EventLoop, status: RPCClientStatus, logger: Logger?) {
        self.address = address
        self.loop = loop
        self.status = status
        self.logger = logger
    }

    // MARK: Calls

    func start(_ call: Call, _ continuation: UnsafeContinuation<[UInt8], any Error>) {
        guard !closed else {
            continuation.resume(throwing: ServiceError.unavailable(details: "the RPC client for \(address) is closed"))
            return
        }
        let id = call.id
        let expiresAt = MonotonicClock.now() &+ MonotonicClock.nanoseconds(call.deadline)
        pending[id] = Pending(call: call, continuation: continuation, expiresAt: expiresAt)
        armExpiry(at: expiresAt)
        if let connection {
            send(call.frame, on: connection)
        } else {
            waiting.append(id)
            startConnecting()
        }
    }

    func cancel(_ id: UInt64) {
        fail(id, .unavailable(details: "the call was cancelled"))
    }

    private func fail(_ id: UInt64, _ error: ServiceError) {
        guard let entry = pending.removeValue(forKey: id) else { return }
        entry.continuation.resume(throwing: error)
    }

    private func armExpiry(at instant: UInt64) {
        if let armed = expiry.deadline, armed <= instant { return }
        expiry.arm(at: instant)
    }

    /// Fails the calls whose time is up, in the order they were made, and arms the deadline for
    /// the earliest of the others.
    private func expireCalls() {
        let now = MonotonicClock.now()
        var expired: [UInt64] = []
        var next: UInt64?
        for (id, entry) in pending {
            if entry.expiresAt <= now {
                expired.append(id)
            } else {
                next = min(next ?? .max, entry.expiresAt)
            }
        }
        for id in expired.sorted() {
            guard let call = pending[id]?.call else { continue }
            fail(id, .unavailable(details: "no reply to \(call.method) within \(call.deadline)"))
        }
        if let next { armExpiry(at: next) }
    }

    private func send(_ frame: [UInt8], on connection: StreamConnection) {
        connection.enqueue(frame)
        // Calls started in the same loop turn share one write.
        guard !flushScheduled else { return }
        flushScheduled = true
        loop.executeSoon { [self] in
            flushScheduled = false
            self.connection?.flush()
        }
    }

    private func received(_ frame: [UInt8]) -> Bool {
        let id: UInt64
        if let scanned = FrameHead.id(in: frame) {
            id = scanned.id
        } else if let head = try? FrameBytes.withData(frame, { try JSONDecoder().decode(RPCReplyHead.self, from: $0) }) {
            id = head.id
        } else {
            logger?.warning("closing rpc connection: malformed reply frame")
            connection?.close(.immediately)
            return false
        }
        // A reply to a call that already timed out or was cancelled is dropped.
        guard let entry = pending.removeValue(forKey: id) else { return true }
        entry.continuation.resume(returning: frame)
        return true
    }

    // MARK: Connection

    func connectInBackground() {
        guard !closed, connection == nil else { return }
        startConnecting()
    }

    private func startConnecting() {
        guard !connecting, connection == nil, !closed else { return }
        connecting = true
        if let reconnectTimer { loop.cancelTimer(reconnectTimer) }
        reconnectTimer = nil
        StreamConnection.connect(to: address, on: loop, timeout: Self.connectTimeout) { [self] result in
            connecting = false
            switch result {
            case .success(let stream): connected(stream)
            case .failure(let error): connectFailed(error)
            }
        }
    }

    private func connected(_ stream: StreamConnection) {
        guard !closed else {
            stream.close(.immediately)
            return
        }
        connection = stream
        decoder = FrameDecoder()
        backoff = Self.initialBackoff
        status.connected.store(true, ordering: .relaxed)
        if everConnected { logger?.notice("rpc connection re-established") }
        everConnected = true
        // Strong captures: an open stream and its client keep each other alive; closing the stream
        // drops its callbacks and so the cycle.
        stream.onRead = { [self] bytes in
            do {
                try decoder.feed(bytes) { frame in received(frame) }
            } catch {
                logger?.warning("closing rpc connection: \(error)")
                connection?.close(.immediately)
            }
        }
        stream.onReadEOF = { [self] in connection?.close(.immediately) }
        stream.onClose = { [self] error in disconnected(error) }
        let ids = waiting
        waiting = []
        for id in ids {
            if let entry = pending[id] { send(entry.call.frame, on: stream) }
        }
    }

    private func connectFailed(_ error: SocketError) {
        let ids = waiting
        waiting = []
        for id in ids { fail(id, .unavailable(details: "cannot connect to \(address): \(error)")) }
        scheduleReconnect()
    }

    private func disconnected(_ error: SocketError?) {
        connection = nil
        status.connected.store(false, ordering: .relaxed)
        guard !closed else { return }
        logger?.warning("rpc connection lost", error.map { ["error": "\($0)"] } ?? [:])
        // Calls that were sent and not answered: retry once if idempotent, else give up now.
        let unanswered = pending.keys.filter { !waiting.contains($0) }.sorted()
        for id in unanswered {
            guard var entry = pending[id] else { continue }
            if entry.call.idempotent, !entry.retried {
                entry.retried = true
                pending[id] = entry
                waiting.append(id)
            } else {
                fail(id, .unavailable(details: "the connection to \(address) was lost during \(entry.call.method)"))
            }
        }
        if waiting.isEmpty {
            scheduleReconnect()
        } else {
            startConnecting()
        }
    }

    private func scheduleReconnect() {
        guard !closed, reconnectTimer == nil, connection == nil, !connecting else { return }
        let delay = backoff
        backoff = min(backoff * 2, Self.maxBackoff)
        reconnectTimer = loop.scheduleTimer(after: delay) { [weak self] in
            self?.reconnectTimer = nil
            self?.startConnecting()
        }
    }

    func shutdown() {
        guard !closed else { return }
        closed = true
        if let reconnectTimer { loop.cancelTimer(reconnectTimer) }
        reconnectTimer = nil
        for id in Array(pending.keys) { fail(id, .unavailable(details: "the RPC client for \(address) is closed")) }
        expiry.cancel()
        waiting = []
        connection?.close(.immediately)
        connection = nil
        status.connected.store(false, ordering: .relaxed)
    }
}
