import Contracts
import LogCore
import SocketCore
import Synchronization
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A persistent, multiplexed connection from one loop to an RPC server's Unix socket.
///
/// Many calls share the connection; replies are matched by id in any order. Every failure surfaces
/// as a `ServiceError`: the server's error unchanged, or `service.unavailable` when the server is
/// down, the connection drops, or the call's deadline passes — fast, never hanging. The client
/// connects lazily on the first call, reconnects in the background with backoff after a drop, and
/// retries a call once after a reconnect only when its method is idempotent.
///
/// Calls may come from any task. From a task already on `loop` (executor preference) a call costs
/// no thread hop: the request is written and the reply resumes the task on the same thread.
public final class RPCClient: Sendable {
    public let path: String
    public let loop: EventLoop
    private let core: LoopBound<RPCClientCore>
    private let ids = Atomic<UInt64>(1)
    let status: RPCClientStatus

    public init(path: String, loop: EventLoop, logger: Logger? = nil) {
        self.path = path
        self.loop = loop
        let status = RPCClientStatus()
        self.status = status
        core = LoopBound(transferring: RPCClientCore(address: .unix(path: path), loop: loop, status: status, logger: logger?.with("peer", path)),
                         loop: loop)
    }

    deinit {
        // Without this an open stream would keep the loop-side state alive after the client is gone.
        core.withValue { $0.shutdown() }
    }

    /// True while a connection to the server is open.
    public var isConnected: Bool { status.connected.load(ordering: .relaxed) }

    /// Starts connecting in the background (calls connect lazily anyway).
    public func connect() {
        core.withValue { $0.connectInBackground() }
    }

    /// Calls `method` and returns its result. Throws `ServiceError` only.
    ///
    /// Specialised here for the methods on every request's path (issue 7): called from another
    /// module, a generic call otherwise runs unspecialised, looking up the metadata of its result
    /// and envelope types at run time on every call.
    @_specialize(exported: true, where M == Verifier.CodeVerify)
    @_specialize(exported: true, where M == Verifier.CodeIssue)
    @_specialize(exported: true, where M == Connector.Deliver)
    public func call<M: RPCMethod>(
        _ method: M.Type, _ params: M.Params, deadline: Duration = .milliseconds(1500), rid: String? = nil
    ) async throws -> M.Result {
        let id = ids.add(1, ordering: .relaxed).oldValue
        let (seconds, attoseconds) = deadline.components
        let deadlineMs = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
        let frame: [UInt8]
        do {
            if let body = FastEnvelope.request(id: id, method: M.name, deadlineMs: deadlineMs, rid: rid, params: params) {
                frame = try FrameEncoder.frame(body)
            } else {
                frame = try FrameEncoder.encode(
                    RPCRequest(id: id, method: M.name, deadlineMs: deadlineMs, rid: rid, params: params), with: JSONEncoder())
            }
        } catch {
            throw ServiceError.internalError.with(details: "the params of \(M.name) could not be encoded")
        }
        let call = RPCClientCore.Call(id: id, method: M.name, frame: frame, idempotent: M.idempotent, deadline: deadline)
        let core = self.core
        let reply: [UInt8] = try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<[UInt8], any Error>) in
                let queued = core.withValue { $0.start(call, continuation) }
                if !queued { continuation.resume(throwing: ServiceError.unavailable(details: "the event loop has stopped")) }
            }
        } onCancel: {
            core.withValue { $0.cancel(id) }
        }
        switch FastEnvelope.decodeReply(reply, as: M.Result.self) {
        case .result(let result)?: return result
        case .error(let error)?: throw error
        case nil: break
        }
        let body: RPCReplyBody<M.Result>
        do {
            body = try FrameBytes.withData(reply) { try JSONDecoder().decode(RPCReplyBody<M.Result>.self, from: $0) }
        } catch {
            throw ServiceError.internalError.with(details: "the reply to \(M.name) could not be decoded")
        }
        if let error = body.error { throw error }
        guard let result = body.result else {
            throw ServiceError.internalError.with(details: "the reply to \(M.name) has neither result nor error")
        }
        return result
    }

    /// True when the server answers `health` within `deadline`, whatever the result says.
    public func isHealthy(deadline: Duration = .milliseconds(500)) async -> Bool {
        do {
            _ = try await call(HealthProbe.self, Empty(), deadline: deadline)
            return true
        } catch {
            return false
        }
    }

    /// Closes the connection; calls in flight and later calls fail with `service.unavailable`.
    public func close() async {
        _ = try? await loop.submit { [core] in core.value.shutdown() }
    }
}

/// Any server's `health`, with the result left undecoded.
private enum HealthProbe: RPCMethod {
    static let name = "health"
    static let idempotent = true
    typealias Params = Empty
    typealias Result = JSONValue
}

/// A reply decoded in one pass: the result or the error.
struct RPCReplyBody<Result: Decodable>: Decodable {
    var id: UInt64
    var result: Result?
    var error: ServiceError?
}

/// What other threads may read about a client.
final class RPCClientStatus: Sendable {
    let connected = Atomic<Bool>(false)
}
