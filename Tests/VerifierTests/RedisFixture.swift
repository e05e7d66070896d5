import ConfigCore
import Contracts
import CryptoCore
import Foundation
import LogCore
@testable import VerifierService

/// A verifier on a Redis the test chooses, built as `PASSCODE_STORE=redis://…` builds it: four
/// worker threads, each with its own connection, sharing one reconnect backoff. Shut down
/// afterwards, whatever `body` does.
func withRedisVerifier<T>(_ endpoint: RedisEndpoint, namespace: String = "passcode", config: VerifierConfig = VerifierConfig(),
                          clock: TestClock = TestClock(), options: RedisClient.Options = RedisClient.Options(),
                          _ body: (Fixture) async throws -> T) async throws -> T {
    let log = MemorySink()
    let backoff = RedisBackoff()
    let verifier = CodeVerifier(config: config, secrets: ServerSecrets(primary: secretA), storeKind: "redis",
                                threads: CodeVerifier.redisWorkerThreads,
                                logger: Logger(service: "verifier-test", level: .debug, sink: log), now: clock.reader) {
        try RedisStore(endpoint: endpoint, namespace: namespace, backoff: backoff, options: options)
    }
    let fixture = Fixture(verifier: verifier, clock: clock, directory: "", log: log)
    do {
        let value = try await body(fixture)
        await verifier.shutdown()
        return value
    } catch {
        await verifier.shutdown()
        throw error
    }
}

/// Runs `body` with a fresh `redis-server` of its own in a temporary directory, stopped afterwards.
func withRedisServer<T>(port: Int? = nil, persistent: Bool = false, extra: [String] = [],
                        _ body: (RedisTestServer) async throws -> T) async throws -> T {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let server = RedisTestServer(directory: directory, port: port, persistent: persistent, extra: extra)
    try server.start()
    defer { server.stop() }
    return try await body(server)
}

/// Polls `body` until it succeeds or `timeout` passes (then rethrows its last error).
func eventually<T>(timeout: Duration = .seconds(15), _ body: () async throws -> T) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        do {
            return try await body()
        } catch {
            if ContinuousClock.now > deadline { throw error }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// How long `body` took, and what it threw (nil on success).
func timed(_ body: () async throws -> Void) async -> (Duration, (any Error)?) {
    let start = ContinuousClock.now
    do {
        try await body()
        return (ContinuousClock.now - start, nil)
    } catch {
        return (ContinuousClock.now - start, error)
    }
}
