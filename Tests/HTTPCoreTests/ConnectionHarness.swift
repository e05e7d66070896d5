import Synchronization

@testable import HTTPCore

/// Drives an `HTTPConnectionStateMachine` the way the socket glue will, with a manual clock: it
/// records delivered requests and written bytes, keeps the one armed timer, and fires it when
/// `advance(by:)` moves the clock past its deadline.
struct ConnectionHarness {
    enum Timer: Equatable {
        case header(deadline: Duration)
        case idle(deadline: Duration)
    }

    var machine: HTTPConnectionStateMachine
    var now: Duration = .zero
    var timer: Timer?
    var delivered: [HTTPRequest] = []
    /// Requests delivered and not yet answered.
    var inFlight: [HTTPRequest] = []
    var written: [UInt8] = []
    var writesSinceCompletion = 0
    var paused = false
    var closed = false
    var closedAfterWrite = false
    var actionLog: [HTTPConnectionStateMachine.Action] = []

    /// 1994-11-06 08:49:37 UTC, RFC 9110's example date.
    static let fixedDate = DateCache(clock: { 784_111_777 })

    init(configuration: HTTPConnectionStateMachine.Configuration = .init()) {
        machine = HTTPConnectionStateMachine(configuration: configuration, dateCache: Self.fixedDate)
        apply(machine.start())
    }

    var writtenText: String { String(decoding: written, as: UTF8.self) }

    mutating func send(_ bytes: [UInt8]) {
        apply(machine.handle(.bytesReceived(bytes)))
    }

    mutating func send(_ text: String) {
        send(Array(text.utf8))
    }

    /// Answers the oldest unanswered request, then reports the write as completed.
    mutating func respond(_ response: HTTPResponse = .noContent(), completeWrite: Bool = true) {
        guard !inFlight.isEmpty else { return }
        let request = inFlight.removeFirst()
        apply(machine.handle(.responseReady(response, for: request)))
        if completeWrite && !closed && !closedAfterWrite { completeWrites() }
    }

    mutating func completeWrites() {
        apply(machine.handle(.writeCompleted))
    }

    mutating func event(_ event: HTTPConnectionStateMachine.Event) {
        apply(machine.handle(event))
    }

    /// Moves the clock; fires the armed timer if its deadline has come.
    mutating func advance(by duration: Duration) {
        now += duration
        switch timer {
        case .header(let deadline) where deadline <= now:
            timer = nil
            apply(machine.handle(.headerDeadlinePassed))
        case .idle(let deadline) where deadline <= now:
            timer = nil
            apply(machine.handle(.idleTimeoutPassed))
        default:
            break
        }
    }

    mutating func apply(_ actions: [HTTPConnectionStateMachine.Action]) {
        actionLog += actions
        for action in actions {
            switch action {
            case .deliver(let request):
                delivered.append(request)
                inFlight.append(request)
            case .write(let bytes):
                written += bytes
                writesSinceCompletion += 1
            case .closeAfterWrite: closedAfterWrite = true
            case .close: closed = true
            case .pauseReading: paused = true
            case .resumeReading: paused = false
            case .armHeaderDeadline(let duration): timer = .header(deadline: now + duration)
            case .armIdleTimer(let duration): timer = .idle(deadline: now + duration)
            case .cancelTimers: timer = nil
            }
        }
    }
}
