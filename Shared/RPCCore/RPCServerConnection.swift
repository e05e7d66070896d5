import Contracts
import LogCore
import SocketCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One accepted RPC connection. Loop-confined.
final class RPCServerConnection {
    private let stream: StreamConnection
    private let server: RPCServer
    private weak var registry: ConnectionRegistry?
    private var decoder = FrameDecoder()
    private var inFlight = 0
    private var closeWhenIdle = false
    private var flushScheduled = false
    private var closed = false

    /// How long a connection closed for a bad frame keeps draining, so the peer reads our error.
    private static let linger: Duration = .seconds(1)
    private static let defaultDeadlineMs = 1500

    init(stream: StreamConnection, server: RPCServer, registry: ConnectionRegistry) {
        self.stream = stream
        self.server = server
        self.registry = registry
        // Strong captures: while the stream is open (owned by its loop) it keeps this connection
        // alive; closing the stream drops the callbacks and so the cycle.
        stream.onRead = { [self] bytes in received(bytes) }
        stream.onReadEOF = { [self] in peerFinished() }
        stream.onClose = { [self] error in didClose(error) }
    }

    private var loop: EventLoop { stream.loop }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        do {
            try decoder.feed(bytes) { frame in handle(frame) }
        } catch {
            server.logger.warning("closing rpc connection: \(error)")
            fail(id: nil, .invalidInput("bad frame length"))
        }
    }

    /// Returns false when the connection is being closed and later frames must be ignored.
    private func handle(_ frame: [UInt8]) -> Bool {
        let head: (id: UInt64, method: String)
        if let scanned = FrameHead.request(in: frame) {
            head = scanned
        } else {
            let decoder = JSONDecoder()
            guard let decoded = try? FrameBytes.withData(frame, { try decoder.decode(RPCRequestHead.self, from: $0) }) else {
                struct IDOnly: Decodable { var id: UInt64 }
                let id = try? FrameBytes.withData(frame) { try decoder.decode(IDOnly.self, from: $0) }.id
                fail(id: id, .invalidInput("malformed request frame"))
                return false
            }
            guard decoded.v == RPCProtocol.version else {
                reply(RPCReplyEncoding.errorFrame(.invalidInput("unsupported protocol version \(decoded.v)"), id: decoded.id))
                return true
            }
            head = (decoded.id, decoded.method)
        }
        guard let method = server.lookup(head.method) else {
            reply(RPCReplyEncoding.errorFrame(.unknownMethod(head.method), id: head.id))
            return true
        }
        switch method.prepare(frame, head.id) {
        case .malformed:
            fail(id: head.id, .invalidInput("malformed request frame"))
            return false
        case .reply(let error):
            reply(RPCReplyEncoding.errorFrame(error, id: head.id))
            return true
        case .run(let rid, let deadlineMs, let work):
            let context = RPCContext(
                id: head.id, method: head.method, rid: rid,
                deadline: .now.advanced(by: .milliseconds(max(0, deadlineMs ?? Self.defaultDeadlineMs))), loop: loop)
            start(work, context)
            return true
        }
    }

    private func start(_ work: @escaping @Sendable (RPCContext) async -> [UInt8], _ context: RPCContext) {
        inFlight += 1
        server.inFlight.add(1, ordering: .relaxed)
        let bound = LoopBound(self, loop: loop)
        Task(executorPreference: loop) {
            let frame = await work(context)
            bound.withValue { connection in connection.finished(frame) }
        }
    }

    private func finished(_ frame: [UInt8]) {
        inFlight -= 1
        server.inFlight.subtract(1, ordering: .releasing)
        reply(frame)
        if closeWhenIdle, inFlight == 0 { stream.close(.afterWrites) }
    }

    /// Queues a reply; replies finished in the same loop turn go out in one write.
    private func reply(_ frame: [UInt8]) {
        guard !closed, !frame.isEmpty else { return }
        stream.enqueue(frame)
        guard !flushScheduled else { return }
        flushScheduled = true
        loop.executeSoon { [self] in
            flushScheduled = false
            stream.flush()
        }
    }

    /// A frame we cannot trust: answer if we know whom to answer, then close this connection only.
    private func fail(id: UInt64?, _ error: ServiceError) {
        if let id { stream.enqueue(RPCReplyEncoding.errorFrame(error, id: id)) }
        stream.close(.lingering(Self.linger))
    }

    private func peerFinished() {
        if inFlight == 0 { stream.close(.afterWrites) } else { closeWhenIdle = true }
    }

    func stopReading() {
        stream.pauseReading()
        closeWhenIdle = true
        if inFlight == 0 { stream.close(.afterWrites) }
    }

    func close() {
        stream.close(.afterWrites)
    }

    private func didClose(_ error: SocketError?) {
        closed = true
        registry?.remove(self)
    }
}
