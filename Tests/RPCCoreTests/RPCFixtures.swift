import Contracts
import LogCore
import RPCCore
import SocketCore
import Synchronization
import TestSupport
import SyncCore

/// Methods that exist only in tests.
enum TestEcho: RPCMethod {
    static let name = "test.echo"
    static let idempotent = false
    struct Params: Codable, Sendable {
        var text: String
        var delayMs: Int = 0
    }
    struct Result: Codable, Sendable, Equatable {
        var text: String
        var onLoop: Bool
    }
}

enum TestFail: RPCMethod {
    static let name = "test.fail"
    static let idempotent = false
    typealias Params = Empty
    typealias Result = Empty
}

enum TestCrash: RPCMethod {
    static let name = "test.crash"
    static let idempotent = false
    typealias Params = Empty
    typealias Result = Empty
}

enum TestMissing: RPCMethod {
    static let name = "test.missing"
    static let idempotent = true
    typealias Params = Empty
    typealias Result = Empty
}

/// Same name as TestEcho, params of the wrong shape.
enum TestEchoWrongShape: RPCMethod {
    static let name = "test.echo"
    static let idempotent = false
    struct Params: Codable, Sendable { var text: Int }
    typealias Result = TestEcho.Result
}

enum TestSlowIdempotent: RPCMethod {
    static let name = "test.slowIdempotent"
    static let idempotent = true
    struct Params: Codable, Sendable { var delayMs: Int }
    struct Result: Codable, Sendable, Equatable { var server: String }
}

/// Idempotent, and held until the server's gate opens: a call that stays in flight for exactly as
/// long as a test needs, answered with the server's name.
enum TestHeldIdempotent: RPCMethod {
    static let name = "test.heldIdempotent"
    static let idempotent = true
    typealias Params = Empty
    typealias Result = TestSlowIdempotent.Result
}

struct SomeInternalFailure: Error {}

/// Waits until the test opens it: holds a handler in flight for exactly as long as a test needs.
enum TestGated: RPCMethod {
    static let name = "test.gated"
    static let idempotent = false
    typealias Params = Empty
    typealias Result = Empty
}

final class Gate: Sendable {
    private let state = Locked<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

let quietLogger = Logger(service: "rpc-test", level: .error)

/// A server with the test methods on `loops`, answering `server` as its name.
func makeServer(path: String, loops: [EventLoop], name: String = "A", gate: Gate = Gate()) -> RPCServer {
    let server = RPCServer(path: path, loops: loops, logger: quietLogger)
    server.register(TestGated.self) { _, _ in
        await gate.wait()
        return Empty()
    }
    server.register(TestEcho.self) { params, context in
        if params.delayMs > 0 { try await Task.sleep(for: .milliseconds(params.delayMs)) }
        return .init(text: params.text, onLoop: context.loop.inEventLoop)
    }
    server.register(TestFail.self) { _, _ in
        throw ServiceError.codeMismatch.with(details: "attempt 2 of 10")
    }
    server.register(TestCrash.self) { _, _ in throw SomeInternalFailure() }
    server.register(TestSlowIdempotent.self) { params, _ in
        try await Task.sleep(for: .milliseconds(params.delayMs))
        return .init(server: name)
    }
    server.register(TestHeldIdempotent.self) { _, _ in
        await gate.wait()
        return .init(server: name)
    }
    server.register(Verifier.Health.self) { _, _ in .init(store: "memory", storeReachable: true, version: "test") }
    return server
}

func expectServiceError(_ code: String, _ body: () async throws -> Void) async -> ServiceError? {
    do {
        try await body()
        return nil
    } catch let error as ServiceError {
        return error.code == code ? error : error
    } catch {
        return nil
    }
}
