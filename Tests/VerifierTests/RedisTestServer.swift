import CryptoCore
import Foundation
import Synchronization
import SyncCore
import TestSupport
@testable import VerifierService

/// A real `redis-server` run by the tests: on a Unix socket in its own directory (and a TCP port
/// only when asked), stopped by PID. Readiness is polled with `PING` under a deadline, never slept.
final class RedisTestServer: Sendable {
    let directory: String
    let port: Int?
    let arguments: [String]
    private let pid = Locked<pid_t?>(nil)

    var socketPath: String { directory + "/redis.sock" }
    var endpoint: RedisEndpoint { RedisEndpoint(address: .unix(path: socketPath)) }
    var tcpEndpoint: RedisEndpoint? { port.map { RedisEndpoint(address: .tcp(host: "127.0.0.1", port: $0)) } }

    /// `persistent` turns on the append-only file (so data survives a restart); `extra` are more
    /// `redis-server` options.
    init(directory: String, port: Int? = nil, persistent: Bool = false, extra: [String] = []) {
        self.directory = directory
        self.port = port
        arguments = [
            "--port", String(port ?? 0), "--bind", "127.0.0.1",
            "--unixsocket", directory + "/redis.sock", "--unixsocketperm", "700",
            "--dir", directory, "--logfile", directory + "/redis.log", "--daemonize", "no",
            "--save", "", "--appendonly", persistent ? "yes" : "no", "--appendfsync", "no",
        ] + extra
    }

    var isRunning: Bool { pid.withLock { $0 != nil } }

    /// Starts the server and waits until it answers `PING`. Fails clearly when `redis-server` is
    /// not installed: the Redis tests must fail, not skip, where CI should have installed it.
    func start(timeout: Duration = .seconds(20)) throws {
        guard let executable = Self.executable else { throw RedisTestServerError.notInstalled }
        try? FileManager.default.removeItem(atPath: socketPath)
        let argv = [executable] + arguments
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        // The spawning thread may block signals (Dispatch's threads do) and posix_spawn passes its
        // mask on: give the server an empty mask and default handlers so SIGTERM stops it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, nil, &attributes, &cArguments, environ)
        guard rc == 0 else { throw RedisTestServerError.spawnFailed(rc) }
        pid.withLock { $0 = child }
        do {
            try waitUntilReady(timeout: timeout)
        } catch {
            stop()
            throw error
        }
    }

    /// Stops the server (SIGTERM, then SIGKILL after `grace`) and reaps it.
    func stop(grace: Duration = .seconds(10)) {
        guard let child = pid.withLock({ pid -> pid_t? in defer { pid = nil }; return pid }) else { return }
        kill(child, SIGCONT)
        kill(child, SIGTERM)
        let deadline = ContinuousClock.now + grace
        var status: Int32 = 0
        while waitpid(child, &status, WNOHANG) == 0 {
            if ContinuousClock.now > deadline {
                kill(child, SIGKILL)
                _ = waitpid(child, &status, 0)
                return
            }
            usleep(2_000)
        }
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the server: a Redis that accepts connections and never
    /// answers.
    func freeze(_ frozen: Bool) {
        if let child = pid.withLock({ $0 }) { kill(child, frozen ? SIGSTOP : SIGCONT) }
    }

    /// A direct connection for test set-up and inspection.
    func connection(database: Int = 0) throws -> RedisConnection {
        var endpoint = self.endpoint
        endpoint.database = database
        return try RedisConnection(endpoint: endpoint, connectTimeout: .seconds(2), ioTimeout: .seconds(5))
    }

    private func waitUntilReady(timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let child = pid.withLock({ $0 }) {
                var status: Int32 = 0
                if waitpid(child, &status, WNOHANG) == child {
                    pid.withLock { $0 = nil }
                    throw RedisTestServerError.exited(log: logTail)
                }
            }
            // Any answer will do: with a password set, PING answers NOAUTH.
            if let reply = try? connection().send([RedisCommand("PING")]),
               reply == [.simple("PONG")] || reply.first?.errorMessage?.hasPrefix("NOAUTH") == true {
                return
            }
            guard ContinuousClock.now < deadline else { throw RedisTestServerError.notReady(log: logTail) }
            usleep(5_000)
        }
    }

    private var logTail: String {
        let text = (try? String(contentsOfFile: directory + "/redis.log", encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }

    static let executable: String? = {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
            + ["/usr/sbin", "/usr/local/bin"]
        return paths.map { $0 + "/redis-server" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// A TCP port nobody listens on now (bind port 0, read it, close); the caller retries on a race.
    static func freePort(below limit: Int = 65536) throws -> Int {
        for _ in 0..<100 {
            if let port = try? RefusingPort.recentlyFree(), port < limit { return port }
        }
        throw RedisTestServerError.noFreePort
    }

    // MARK: The suite's shared server

    /// One server per test process for the behaviour suite, started by the first fixture that
    /// needs it and stopped when the last one ends. Its data is in an append-only file in a fixed
    /// directory, so "reopening the store" between two fixtures survives a restart in between, as
    /// an SQLite file does.
    private static let shared = Locked<(users: Int, server: RedisTestServer?)>((0, nil))
    static let sharedDirectory = NSTemporaryDirectory() + "passcode-redis-\(getpid())"
    static var sharedEndpoint: RedisEndpoint { RedisEndpoint(address: .unix(path: sharedDirectory + "/redis.sock")) }

    static func acquireShared() throws -> @Sendable () -> Void {
        try shared.withLock { state in
            if state.server == nil {
                if !FileManager.default.fileExists(atPath: sharedDirectory) {
                    // The directory outlives each server (its AOF is the data); it goes with the process.
                    atexit { try? FileManager.default.removeItem(atPath: RedisTestServer.sharedDirectory) }
                }
                try FileManager.default.createDirectory(atPath: sharedDirectory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                let server = RedisTestServer(directory: sharedDirectory, persistent: true)
                try server.start()
                state.server = server
            }
            state.users += 1
        }
        let released = Atomic(false)
        return {
            guard !released.exchange(true, ordering: .relaxed) else { return }
            shared.withLock { state in
                state.users -= 1
                if state.users == 0 {
                    state.server?.stop()
                    state.server = nil
                }
            }
        }
    }

    /// Each test directory gets its own key namespace on the shared server.
    static func namespace(for directory: String) -> String {
        "t" + Hex.encode(Array(SHA256.hash(directory).prefix(8)))
    }
}

enum RedisTestServerError: Error, CustomStringConvertible {
    case notInstalled
    case spawnFailed(Int32)
    case exited(log: String)
    case notReady(log: String)
    case noFreePort

    var description: String {
        switch self {
        case .notInstalled:
            "redis-server is not installed (apt-get install redis-server); the Redis store tests need a real server"
        case .spawnFailed(let code): "could not start redis-server: posix_spawn error \(code)"
        case .exited(let log): "redis-server exited during start-up; its log ends:\n\(log)"
        case .notReady(let log): "redis-server did not answer PING in time; its log ends:\n\(log)"
        case .noFreePort: "no free TCP port found"
        }
    }
}
