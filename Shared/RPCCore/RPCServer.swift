import Contracts
import LogCore
import SocketCore
import Synchronization
import SyncCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Serves RPC methods on a Unix socket. Register handlers, then `start()`:
///
///     server.register(Verifier.CodeIssue.self) { params, context in … return result }
///
/// Each request runs as a task whose executor preference is its connection's loop, so a handler
/// that awaits other loop-bound work never changes thread. Replies go out as handlers finish (any
/// order). A thrown `ServiceError` is sent unchanged; any other error becomes `service.internal`.
/// A frame with a bad length or unreadable JSON closes only its own connection, after an error
/// reply when the id could be read.
public final class RPCServer: Sendable {
    public let path: String
    let loops: [EventLoop]
    let logger: Logger
    let limit: ConnectionLimit?
    private let methods = Locked<[String: RegisteredMethod]>([:])
    private let state = Locked(State())
    let inFlight = Atomic<Int>(0)
    let connectionCounter = Atomic<Int>(0)

    private struct State {
        var listener: LoopBound<Listener>?
        var registries: [LoopBound<ConnectionRegistry>] = []
        var started = false
        var stopping = false
    }

    /// Accepted connections are spread round robin over `loops`; the listener lives on the first.
    public init(path: String, loops: [EventLoop], logger: Logger, maxConnections: Int? = nil) {
        precondition(!loops.isEmpty, "RPCServer needs at least one loop")
        self.path = path
        self.loops = loops
        self.logger = logger.with("socket", path)
        self.limit = maxConnections.map { ConnectionLimit(maximum: $0) }
    }

    public convenience init(path: String, group: EventLoopGroup, logger: Logger, maxConnections: Int? = nil) {
        self.init(path: path, loops: group.loops, logger: logger, maxConnections: maxConnections)
    }

    /// Serves `method` with `handler`. Register every method before `start()`.
    ///
    /// Specialised here for the methods on every request's path (issue 7): registered from another
    /// module, the decoding and encoding closures would otherwise run unspecialised, looking up
    /// metadata and conformances at run time for every request.
    @_specialize(exported: true, where M == Verifier.CodeVerify)
    @_specialize(exported: true, where M == Verifier.CodeIssue)
    @_specialize(exported: true, where M == Connector.Deliver)
    public func register<M: RPCMethod>(
        _ method: M.Type, _ handler: @escaping @Sendable (M.Params, RPCContext) async throws -> M.Result
    ) {
        methods.withLock { $0[M.name] = RegisteredMethod(method, handler) }
    }

    func lookup(_ name: String) -> RegisteredMethod? {
        methods.withLock { $0[name] }
    }

    /// Binds the socket (removing a stale file, mode 0600) and starts accepting.
    public func start() async throws {
        var registries: [LoopBound<ConnectionRegistry>] = []
        for loop in loops {
            registries.append(try await loop.submit { LoopBound(ConnectionRegistry(), loop: loop) })
        }
        let counter = Counter()
        let listenLoop = loops[0]
        let perLoop = registries
        let listener = try await listenLoop.submit { [self] in
            LoopBound(try Listener.unix(path: path, on: listenLoop, limit: limit) { [self] accepted in
                let index = counter.next() % loops.count
                let target = loops[index]
                let registry = perLoop[index]
                target.execute { [self] in accept(accepted, registry: registry.value, on: target) }
            }, loop: listenLoop)
        }
        state.withLock {
            $0.listener = listener
            $0.registries = registries
            $0.started = true
        }
        logger.debug("rpc server listening")
    }

    private func accept(_ accepted: AcceptedSocket, registry: ConnectionRegistry, on loop: EventLoop) {
        if state.withLock({ $0.stopping }) {
            accepted.close()
            return
        }
        do {
            let stream = try StreamConnection(accepted: accepted, on: loop)
            let connection = RPCServerConnection(stream: stream, server: self, registry: registry)
            registry.add(connection)
        } catch {
            logger.warning("rpc accept failed", ["error": "\(error)"])
        }
    }

    /// Stops accepting and removes the socket file, stops reading new requests, lets in-flight
    /// handlers finish for up to `grace`, then closes every connection.
    public func shutdown(grace: Duration = .seconds(5)) async {
        let (listener, registries) = state.withLock { state -> (LoopBound<Listener>?, [LoopBound<ConnectionRegistry>]) in
            state.stopping = true
            defer { state.listener = nil }
            return (state.listener, state.registries)
        }
        if let listener { _ = try? await listener.loop.submit { listener.value.close() } }
        for registry in registries { _ = try? await registry.loop.submit { registry.value.stopReading() } }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: grace)
        while inFlight.load(ordering: .acquiring) > 0, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(2))
        }
        for registry in registries { _ = try? await registry.loop.submit { registry.value.closeAll() } }
        logger.debug("rpc server stopped")
    }

    /// Requests currently being handled.
    public var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }
}

/// Round-robin position shared by the accept callback.
private final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

/// The open server connections of one loop. Loop-confined.
final class ConnectionRegistry {
    private var connections: [ObjectIdentifier: RPCServerConnection] = [:]

    func add(_ connection: RPCServerConnection) { connections[ObjectIdentifier(connection)] = connection }
    func remove(_ connection: RPCServerConnection) { connections[ObjectIdentifier(connection)] = nil }
    var count: Int { connections.count }

    func stopReading() {
        for connection in connections.values { connection.stopReading() }
    }

    func closeAll() {
        // Each connection leaves the registry from its close callback.
        for connection in Array(connections.values) { connection.close() }
    }
}
