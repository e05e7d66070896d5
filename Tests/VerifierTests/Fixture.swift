import ConfigCore
import Contracts
import CryptoCore
import Foundation
import LogCore
import Synchronization
import Testing
@testable import VerifierService
import SyncCore

/// A store implementation the behaviour suite runs against.
struct StoreFactory: Sendable, CustomTestStringConvertible {
    var name: String
    /// Store worker threads, each with its own store from `make`.
    var threads = 1
    /// Readies what the store needs for one fixture (a running `redis-server`) and returns the
    /// matching release, called once the fixture's verifier has shut down.
    var acquire: @Sendable () throws -> @Sendable () -> Void = { {} }
    /// Opens (or creates) the store whose state belongs to `directory`: its SQLite file, or its
    /// key namespace on the suite's Redis.
    var make: @Sendable (_ directory: String) throws -> any CodeStore

    var testDescription: String { name }

    static let sqlite = StoreFactory(name: "sqlite") { try SQLiteStore(path: $0 + "/passcode.sqlite") }
    /// The suite's shared `redis-server` (see `RedisTestServer.shared`), one key namespace per
    /// directory, four worker threads as in production. Its timeouts are 10 s instead of the
    /// production 1 s: these tests check behaviour, not timeouts (RedisOutageTests does, on servers
    /// of its own), and in the full parallel unit pass on 2 cores a store call once waited past 1 s
    /// for a starved `redis-server` and the test failed with `service.unavailable`.
    static let redis = StoreFactory(name: "redis", threads: CodeVerifier.redisWorkerThreads,
                                    acquire: { try RedisTestServer.acquireShared() }) { directory in
        try RedisStore(endpoint: RedisTestServer.sharedEndpoint, namespace: RedisTestServer.namespace(for: directory),
                       backoff: RedisBackoff(), options: RedisClient.Options(connectTimeout: .seconds(10), ioTimeout: .seconds(10)))
    }
    static let all: [StoreFactory] = [.sqlite, .redis]
}

/// A clock tests move by hand.
final class TestClock: Sendable {
    private let current: Locked<Double>
    init(_ start: Double = 1_700_000_000) { current = Locked(start) }
    var now: Double { current.withLock { $0 } }
    func advance(_ seconds: Double) { current.withLock { $0 += seconds } }
    var reader: @Sendable () -> Double { { self.now } }
}

let secretA = Array("secret-A-0123456789abcdef".utf8)
let secretB = Array("secret-B-0123456789abcdef".utf8)

/// One verifier on a fresh store, with a hand-driven clock and a log kept in memory.
struct Fixture: Sendable {
    let verifier: CodeVerifier
    let clock: TestClock
    let directory: String
    let log: MemorySink

    static func config(_ change: (inout VerifierConfig) -> Void = { _ in }) -> VerifierConfig {
        var c = VerifierConfig()
        change(&c)
        return c
    }

    /// The first column of the first row of `query` on the SQLite store's own connection (throws
    /// on the Redis store).
    func sqliteScalar(_ query: String) async throws -> Int? {
        try await verifier.worker.perform { store in
            guard let sqlite = store as? SQLiteStore else { throw SQLiteError(code: 1, message: "not the SQLite store") }
            return try sqlite.db.scalar(query)?.int
        }
    }

    /// Runs `statements` on the SQLite store's own connection (throws on the Redis store).
    func sqliteExecute(_ statements: String) async throws {
        try await verifier.worker.perform { store in
            guard let sqlite = store as? SQLiteStore else { throw SQLiteError(code: 1, message: "not the SQLite store") }
            try sqlite.db.execute(statements)
            // A write past the store's methods, as an older verifier's would be: the store learns
            // of those through `PRAGMA data_version`, which does not move for its own connection,
            // so forget what the memory holds here instead.
            sqlite.genericRecords.clear()
        }
    }

    func generic(email: String) async throws(ServiceError) -> Verifier.CodeIssue.Result {
        try await verifier.issue(.init(scope: .generic, identifier: .init(type: .email, value: email), templateType: .generic))
    }

    func generic(phone: String) async throws(ServiceError) -> Verifier.CodeIssue.Result {
        try await verifier.issue(.init(scope: .generic, identifier: .init(type: .phone, value: phone), templateType: .generic))
    }

    func verifyGeneric(_ identifier: Identifier, _ code: String) async throws(ServiceError) -> Verifier.CodeVerify.Result {
        try await verifier.verify(.init(scope: .generic, identifier: identifier, verificationId: nil, code: code))
    }

    func startInteraction(_ event: InteractionEvent = .signIn) async throws(ServiceError) -> String {
        try await verifier.startInteraction(.init(event: event)).interactionId
    }

    func issue(in interaction: String, _ identifier: Identifier, clientIP: String? = nil) async throws(ServiceError)
        -> Verifier.CodeIssue.Result {
        try await verifier.issue(.init(scope: .interaction(interaction), identifier: identifier, templateType: .signIn,
                                       clientIP: clientIP))
    }

    func verify(in interaction: String, _ identifier: Identifier, id: String, code: String) async throws(ServiceError)
        -> Verifier.CodeVerify.Result {
        try await verifier.verify(.init(scope: .interaction(interaction), identifier: identifier, verificationId: id, code: code))
    }
}

/// Runs `body` with a verifier over a store from `factory` in `directory` (a fresh temporary one if
/// nil, removed afterwards). The verifier is shut down afterwards, whatever `body` does.
func withFixture<T>(_ factory: StoreFactory, config: VerifierConfig = VerifierConfig(),
                    secrets: ServerSecrets = ServerSecrets(primary: secretA), directory: String? = nil,
                    clock: TestClock = TestClock(),
                    _ body: (Fixture) async throws -> T) async throws -> T {
    let dir = try directory ?? makeTemporaryDirectory()
    defer { if directory == nil { try? FileManager.default.removeItem(atPath: dir) } }
    let release = try factory.acquire()
    defer { release() }
    let log = MemorySink()
    let verifier = CodeVerifier(config: config, secrets: secrets, storeKind: factory.name, threads: factory.threads,
                                logger: Logger(service: "verifier-test", level: .debug, sink: log),
                                now: clock.reader) { try factory.make(dir) }
    let fixture = Fixture(verifier: verifier, clock: clock, directory: dir, log: log)
    do {
        let value = try await body(fixture)
        await verifier.shutdown()
        return value
    } catch {
        await verifier.shutdown()
        throw error
    }
}

func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "verifier-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                            attributes: [.posixPermissions: 0o700])
    return path
}

/// The error `body` throws, or nil (recorded as a test issue) if it succeeds.
func failure<T>(_ body: () async throws -> T, sourceLocation: SourceLocation = #_sourceLocation) async -> ServiceError? {
    do {
        _ = try await body()
        Issue.record("expected a ServiceError, got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as ServiceError {
        return error
    } catch {
        Issue.record("expected a ServiceError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Expects `body` to fail with the catalogue error `code`.
func expectFailure<T>(_ code: String, _ body: () async throws -> T,
                      sourceLocation: SourceLocation = #_sourceLocation) async {
    let error = await failure(body, sourceLocation: sourceLocation)
    #expect(error?.code == code, sourceLocation: sourceLocation)
}

/// A code of the same length that is certainly not `code`.
func wrong(_ code: String) -> String {
    String(code.map { $0 == "0" ? "1" : "0" })
}

extension Identifier {
    static func email(_ value: String) -> Identifier { Identifier(type: .email, value: value) }
    static func phone(_ value: String) -> Identifier { Identifier(type: .phone, value: value) }
}
