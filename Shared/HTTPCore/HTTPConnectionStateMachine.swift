/// The life of one HTTP/1.1 server connection as a pure state machine: the socket glue reports what
/// happened (`Event`) and performs what it is told (`Action`). No sockets, no clocks, no threads, so
/// every path is testable with plain values and a manual clock.
///
/// - Requests are delivered one at a time, in order. Bytes of pipelined requests that arrive while a
///   request is being handled or its response written stay buffered, unparsed, until the response
///   has been written (RFC 9112 §9.3.2: responses in request order). When more than
///   `maxBufferedBytes` wait, reading pauses, and resumes once they are consumed.
/// - Keep-alive follows RFC 9112 §9.3 (`HTTPRequest.keepAlive`); a handler can force a close with
///   `Connection: close`; any parse error is answered and the connection closed.
/// - Timers (slowloris): from the first byte of a request until it is complete, a header deadline
///   (→ 408, then close). Between requests, an idle timer (→ silent close). While a handler runs or a
///   response is being written, no timer. At most one timer is armed: arming one replaces the other,
///   and a timer event that no longer applies to the current state is ignored.
///
/// Glue contract: perform actions in order. `write` bytes are queued in order; report
/// `writeCompleted` once each response's bytes are fully written. `closeAfterWrite` means: close once
/// every queued write is flushed. After `close` or `closeAfterWrite`, further events are ignored.
public struct HTTPConnectionStateMachine: Sendable {
    public struct Configuration: Sendable, Hashable {
        public var limits: HTTPLimits
        /// Time allowed from a request's first byte to its last (head and body): slowloris guard.
        public var headerTimeout: Duration
        /// Time a kept-alive connection may sit without a request.
        public var idleTimeout: Duration
        /// Unparsed bytes kept while a request is in flight before reading pauses.
        public var maxBufferedBytes: Int

        public init(
            limits: HTTPLimits = HTTPLimits(), headerTimeout: Duration = .seconds(10),
            idleTimeout: Duration = .seconds(60), maxBufferedBytes: Int = 64 * 1024
        ) {
            self.limits = limits
            self.headerTimeout = headerTimeout
            self.idleTimeout = idleTimeout
            self.maxBufferedBytes = maxBufferedBytes
        }
    }

    public enum Event: Sendable, Hashable {
        case bytesReceived([UInt8])
        /// The handler's answer to the request last delivered.
        case responseReady(HTTPResponse, for: HTTPRequest)
        case writeCompleted
        case headerDeadlinePassed
        case idleTimeoutPassed
        /// The peer shut down its sending side (read returned 0). Requests already buffered are still
        /// answered; then the connection closes.
        case inputClosed
        /// Server shutdown: close now if idle, otherwise after the response in flight.
        case shutdownRequested
    }

    public enum Action: Sendable, Hashable {
        /// Run the handler for this request, then send `.responseReady`.
        case deliver(HTTPRequest)
        case write([UInt8])
        case closeAfterWrite
        case close
        case pauseReading
        case resumeReading
        case armHeaderDeadline(Duration)
        case armIdleTimer(Duration)
        case cancelTimers
    }

    private enum Phase: Sendable, Equatable {
        /// Waiting for the first byte of a request; idle timer armed.
        case idle
        /// Part of a request has arrived; header deadline armed.
        case reading
        /// A request was delivered; waiting for its response.
        case handling
        /// A response is being written; waiting for `writeCompleted`.
        case writing
        case closed
    }

    public let configuration: Configuration
    private var parser: HTTPRequestParser
    private let encoder: HTTPResponseEncoder
    private var phase: Phase = .idle
    private var readingPaused = false
    private var inputClosed = false
    private var shutdownRequested = false

    public init(configuration: Configuration = Configuration(), dateCache: DateCache) {
        self.configuration = configuration
        self.parser = HTTPRequestParser(limits: configuration.limits)
        self.encoder = HTTPResponseEncoder(dateCache: dateCache)
    }

    /// Actions for a freshly accepted connection.
    public mutating func start() -> [Action] {
        [.armIdleTimer(configuration.idleTimeout)]
    }

    public mutating func handle(_ event: Event) -> [Action] {
        var actions: [Action] = []
        handle(event, into: &actions)
        return actions
    }

    /// Appends the actions for `event` to `actions`, so a loop can reuse one array.
    public mutating func handle(_ event: Event, into actions: inout [Action]) {
        guard phase != .closed else { return }
        switch event {
        case .bytesReceived(let bytes):
            guard !inputClosed else { return }
            parser.append(bytes)
            if phase == .idle || phase == .reading {
                parseNext(into: &actions)
            }

        case .responseReady(let response, let request):
            guard phase == .handling else { return }
            let keepAlive = request.keepAlive && !response.requestsClose && !shutdownRequested
            actions.append(
                .write(encoder.encode(response, method: request.method, version: request.version, keepAlive: keepAlive)))
            if keepAlive {
                phase = .writing
            } else {
                actions.append(.closeAfterWrite)
                phase = .closed
            }

        case .writeCompleted:
            guard phase == .writing else { return }
            if shutdownRequested {
                actions.append(.close)
                phase = .closed
                return
            }
            phase = .idle
            parseNext(into: &actions, armIdleTimer: true)

        case .headerDeadlinePassed:
            guard phase == .reading else { return }
            fail(.requestTimeout, into: &actions)

        case .idleTimeoutPassed:
            guard phase == .idle, !parser.hasPartialRequest else { return }
            actions.append(.close)
            phase = .closed

        case .inputClosed:
            inputClosed = true
            if phase == .idle || phase == .reading {
                // An unfinished request can never complete; there is nobody left to answer.
                actions.append(.close)
                phase = .closed
            }

        case .shutdownRequested:
            shutdownRequested = true
            if phase == .idle || phase == .reading {
                actions.append(.close)
                phase = .closed
            }
        }
        updateBackpressure(into: &actions)
    }

    /// Parses the next buffered request, if complete, and delivers it. Called only when no request is
    /// in flight, which is what keeps pipelined answers in order.
    private mutating func parseNext(into actions: inout [Action], armIdleTimer: Bool = false) {
        let request: HTTPRequest?
        do {
            request = try parser.nextRequest()
        } catch {
            fail(error, into: &actions)
            return
        }
        if let request {
            if phase == .reading || !armIdleTimer { actions.append(.cancelTimers) }
            phase = .handling
            actions.append(.deliver(request))
            return
        }
        if parser.takeContinueExpectation() {
            actions.append(.write(HTTPResponseEncoder.continueResponse))
        }
        if inputClosed {
            actions.append(.close)
            phase = .closed
        } else if parser.hasPartialRequest {
            if phase != .reading {
                phase = .reading
                actions.append(.armHeaderDeadline(configuration.headerTimeout))
            }
        } else if armIdleTimer {
            actions.append(.armIdleTimer(configuration.idleTimeout))
        }
    }

    /// Answers a parse error or timeout and closes: after bad framing nothing else can be trusted.
    private mutating func fail(_ error: HTTPParserError, into actions: inout [Action]) {
        actions.append(.cancelTimers)
        actions.append(.write(encoder.encode(error.response, keepAlive: false)))
        actions.append(.closeAfterWrite)
        phase = .closed
    }

    private mutating func updateBackpressure(into actions: inout [Action]) {
        guard phase != .closed else { return }
        let busy = phase == .handling || phase == .writing
        let shouldPause = busy && parser.bufferedByteCount > configuration.maxBufferedBytes
        if shouldPause && !readingPaused {
            readingPaused = true
            actions.append(.pauseReading)
        } else if !shouldPause && readingPaused {
            readingPaused = false
            actions.append(.resumeReading)
        }
    }
}
