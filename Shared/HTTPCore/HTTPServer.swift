import LogCore
import SocketCore
import Synchronization
import SyncCore
#if canImport(Glibc)
import Glibc
#endif

/// Where a request came from and which loop serves it.
public struct HTTPRequestContext: Sendable {
    public let peer: SocketAddress?
    public let loop: EventLoop
    /// The position of `loop` in the server's group, so the application can pick per-loop resources.
    public let loopIndex: Int
}

/// An HTTP/1.1 server: one listener, on the first loop, which places each accepted connection on
/// a loop (`LoopPlacement`), each connection confined to its loop and driven by
/// `HTTPConnectionStateMachine`. Handlers are async and run as tasks preferring the connection's
/// loop, so a request never leaves its thread between the read and the response write.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest, HTTPRequestContext) async -> HTTPResponse

    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var limits: HTTPLimits
        public var headerTimeout: Duration
        public var idleTimeout: Duration
        public var maxConnections: Int
        public var maxBufferedBytes: Int
        /// New connections go to the first loop until it holds this many (`LoopPlacement`).
        public var firstLoopConnections: Int

        public init(host: String, port: Int, limits: HTTPLimits = HTTPLimits(), headerTimeout: Duration = .seconds(10),
                    idleTimeout: Duration = .seconds(60), maxConnections: Int = 10_000, maxBufferedBytes: Int = 64 * 1024,
                    firstLoopConnections: Int = LoopPlacement.defaultFirstLoopConnections) {
            self.host = host
            self.port = port
            self.limits = limits
            self.headerTimeout = headerTimeout
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
            self.maxBufferedBytes = maxBufferedBytes
            self.firstLoopConnections = firstLoopConnections
        }
    }

    let configuration: Configuration
    let loops: [EventLoop]
    let logger: Logger
    let handler: Handler
    let dateCache = DateCache()
    let limit: ConnectionLimit
    let placement: LoopPlacement
    let inFlight = Atomic<Int>(0)
    private let state = Locked(State())

    private struct State {
        var listener: LoopBound<Listener>?
        var registries: [LoopBound<HTTPConnectionRegistry>] = []
        var stopping = false
    }

    public init(configuration: Configuration, loops: [EventLoop], logger: Logger, handler: @escaping Handler) {
        precondition(!loops.isEmpty, "HTTPServer needs at least one loop")
        self.configuration = configuration
        self.loops = loops
        self.logger = logger
        self.handler = handler
        self.limit = ConnectionLimit(maximum: configuration.maxConnections)
        self.placement = LoopPlacement(loops: loops.count, firstLoopConnections: configuration.firstLoopConnections)
    }

    /// Binds and starts accepting; returns the bound address (the real port when 0 was asked).
    /// A port already in use fails here.
    /// With port 0 configured, `preferredPort` is tried first (a restarted server keeps the port its
    /// clients know) and any free port is taken if it is busy.
    @discardableResult
    public func start(preferredPort: Int? = nil) async throws -> SocketAddress {
        if configuration.port == 0, let preferredPort, (1...65_535).contains(preferredPort),
           let address = try? await bind(port: preferredPort) {
            return address
        }
        return try await bind(port: configuration.port)
    }

    private func bind(port: Int) async throws -> SocketAddress {
        let address = try SocketAddress.resolve(host: configuration.host, port: port)
        var registries: [LoopBound<HTTPConnectionRegistry>] = []
        for (index, loop) in loops.enumerated() {
            let placement = placement
            registries.append(try await loop.submit {
                LoopBound(HTTPConnectionRegistry { placement.left(index) }, loop: loop)
            })
        }
        let first = loops[0]
        let perLoop = registries
        // The listener's own address: the real port when 0 was asked.
        let (listener, bound) = try await first.submit { [self] in
            let listener = try Listener.tcp(address, on: first, reusePort: false, limit: limit) { [self] accepted in
                place(accepted, registries: perLoop)
            }
            return (LoopBound(listener, loop: first), listener.address)
        }
        state.withLock {
            $0.listener = listener
            $0.registries = registries
        }
        return bound
    }

    /// On the first loop: hands a new connection to the loop `placement` picks.
    private func place(_ accepted: AcceptedSocket, registries: [LoopBound<HTTPConnectionRegistry>]) {
        let index = placement.take()
        let loop = loops[index]
        if index == 0 {
            accept(accepted, registry: registries[0].value, loop: loop, index: 0)
            return
        }
        let handedOver = loop.execute { [self] in accept(accepted, registry: registries[index].value, loop: loop, index: index) }
        if !handedOver {
            accepted.close()
            placement.left(index)
        }
    }

    private func accept(_ accepted: AcceptedSocket, registry: HTTPConnectionRegistry, loop: EventLoop, index: Int) {
        if state.withLock({ $0.stopping }) {
            accepted.close()
            placement.left(index)
            return
        }
        do {
            let stream = try StreamConnection(accepted: accepted, on: loop)
            let context = HTTPRequestContext(peer: accepted.peer, loop: loop, loopIndex: index)
            let connection = HTTPServerConnection(stream: stream, server: self, context: context, registry: registry)
            registry.add(connection)
            connection.start()
        } catch {
            placement.left(index)
            logger.warning("accept failed", ["error": "\(error)"])
        }
    }

    /// Open connections per loop, in loop order (tests).
    public var connectionsPerLoop: [Int] { placement.counts }

    /// Stops accepting, closes idle connections, lets in-flight requests finish (answered with
    /// `Connection: close`) for up to `grace`, then closes what is left.
    public func shutdown(grace: Duration) async {
        let (listener, registries) = state.withLock { s -> (LoopBound<Listener>?, [LoopBound<HTTPConnectionRegistry>]) in
            s.stopping = true
            defer { s.listener = nil }
            return (s.listener, s.registries)
        }
        if let listener { _ = try? await listener.loop.submit { listener.value.close() } }
        for registry in registries { _ = try? await registry.loop.submit { registry.value.requestShutdown() } }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: grace)
        while clock.now < deadline {
            var open = 0
            for registry in registries { open += (try? await registry.loop.submit { registry.value.count }) ?? 0 }
            if open == 0 { break }
            try? await Task.sleep(for: .milliseconds(5))
        }
        for registry in registries { _ = try? await registry.loop.submit { registry.value.closeAll() } }
    }

    /// Requests being handled right now.
    public var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }
}

/// The open HTTP connections of one loop. Loop-confined. `onRemove` runs once per connection that
/// leaves (it tells `LoopPlacement`).
final class HTTPConnectionRegistry {
    private var connections: [ObjectIdentifier: HTTPServerConnection] = [:]
    private let onRemove: () -> Void
    init(onRemove: @escaping () -> Void) { self.onRemove = onRemove }
    func add(_ connection: HTTPServerConnection) { connections[ObjectIdentifier(connection)] = connection }
    func remove(_ connection: HTTPServerConnection) {
        if connections.removeValue(forKey: ObjectIdentifier(connection)) != nil { onRemove() }
    }
    var count: Int { connections.count }
    func requestShutdown() { for c in Array(connections.values) { c.requestShutdown() } }
    func closeAll() { for c in Array(connections.values) { c.closeNow() } }
}

/// One accepted connection: feeds socket bytes to the state machine and performs its actions.
/// Loop-confined; the handler's task reports back through a `LoopBound`.
final class HTTPServerConnection {
    private let stream: StreamConnection
    private let server: HTTPServer
    private let context: HTTPRequestContext
    private weak var registry: HTTPConnectionRegistry?
    private var machine: HTTPConnectionStateMachine
    /// The header deadline or the idle timeout, whichever is armed, and the event it raises: moved
    /// at every request without scheduling a loop timer each time (DeadlineTimer.swift).
    private lazy var deadline = DeadlineTimer(loop: stream.loop) { [weak self] in self?.deadlinePassed() }
    private var deadlineEvent: HTTPConnectionStateMachine.Event?
    private var actions: [HTTPConnectionStateMachine.Action] = []
    private var closed = false
    private var writing = false

    init(stream: StreamConnection, server: HTTPServer, context: HTTPRequestContext, registry: HTTPConnectionRegistry) {
        self.stream = stream
        self.server = server
        self.context = context
        self.registry = registry
        let config = HTTPConnectionStateMachine.Configuration(
            limits: server.configuration.limits, headerTimeout: server.configuration.headerTimeout,
            idleTimeout: server.configuration.idleTimeout, maxBufferedBytes: server.configuration.maxBufferedBytes)
        machine = HTTPConnectionStateMachine(configuration: config, dateCache: server.dateCache)
    }

    func start() {
        stream.onRead = { [unowned self] buffer in
            self.handle(.bytesReceived(Array(buffer)))
        }
        stream.onReadEOF = { [unowned self] in self.handle(.inputClosed) }
        stream.onWriteDrained = { [unowned self] in
            guard self.writing else { return }
            self.writing = false
            self.handle(.writeCompleted)
        }
        stream.onClose = { [unowned self] _ in self.finish() }
        var initial = machine.start()
        perform(&initial)
    }

    func requestShutdown() { handle(.shutdownRequested) }

    func closeNow() {
        guard !closed else { return }
        stream.close(.immediately)
    }

    private func handle(_ event: HTTPConnectionStateMachine.Event) {
        guard !closed else { return }
        var batch = actions
        actions = []
        batch.removeAll(keepingCapacity: true)
        machine.handle(event, into: &batch)
        perform(&batch)
        actions = batch
    }

    private func perform(_ batch: inout [HTTPConnectionStateMachine.Action]) {
        for action in batch {
            switch action {
            case .deliver(let request):
                run(request)
            case .write(let bytes):
                writing = true
                stream.write(bytes)
                if stream.pendingWriteBytes == 0 && writing {
                    // Written synchronously: report completion after this batch.
                    stream.loop.executeSoon { [weak self] in
                        guard let self, self.writing else { return }
                        self.writing = false
                        self.handle(.writeCompleted)
                    }
                }
            case .closeAfterWrite:
                stream.close(.lingering(.seconds(2)))
            case .close:
                stream.close(.immediately)
            case .pauseReading:
                stream.pauseReading()
            case .resumeReading:
                stream.resumeReading()
            case .armHeaderDeadline(let after):
                arm(after, event: .headerDeadlinePassed)
            case .armIdleTimer(let after):
                arm(after, event: .idleTimeoutPassed)
            case .cancelTimers:
                disarmDeadline()
            }
        }
    }

    private func run(_ request: HTTPRequest) {
        let bound = LoopBound(self, loop: stream.loop)
        let handler = server.handler
        let context = self.context
        let server = self.server
        server.inFlight.add(1, ordering: .relaxed)
        Task(executorPreference: stream.loop) {
            let response = await handler(request, context)
            server.inFlight.subtract(1, ordering: .relaxed)
            bound.withValue { connection in connection.handle(.responseReady(response, for: request)) }
        }
    }

    private func arm(_ after: Duration, event: HTTPConnectionStateMachine.Event) {
        deadlineEvent = event
        deadline.arm(after: after)
    }

    private func disarmDeadline() {
        deadlineEvent = nil
        deadline.disarm()
    }

    private func deadlinePassed() {
        guard let event = deadlineEvent else { return }
        deadlineEvent = nil
        handle(event)
    }

    private func finish() {
        guard !closed else { return }
        closed = true
        deadlineEvent = nil
        deadline.cancel()
        stream.onRead = nil
        stream.onReadEOF = nil
        stream.onWriteDrained = nil
        registry?.remove(self)
    }
}
