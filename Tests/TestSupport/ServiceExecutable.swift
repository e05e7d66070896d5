import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One of the built service executables (`passcode-verifier`, …) run as a real child process on a
/// temp data directory, for per-service tests over its real socket. Stop it with `stop()` in `defer`.
public final class ServiceExecutable: @unchecked Sendable {
    // @unchecked: `process` is only used through Foundation's thread-safe Process API; the rest is immutable.
    public let name: String
    public let socketPath: String
    public let logPath: String
    let process: Process

    /// The directory with the built products: the test bundle sits beside them, unless
    /// `PASSCODE_TEST_BIN_DIR` names another (scripts/test runs the end-to-end tests once more against
    /// the statically linked release executables, which is what `passcode up` users run).
    public static let binDirectory: String = {
        if let override = ProcessInfo.processInfo.environment["PASSCODE_TEST_BIN_DIR"], !override.isEmpty { return override }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("passcode").path), url.path != "/" {
            url.deleteLastPathComponent()
        }
        return url.path
    }()

    /// Starts `passcode-<name>` with `PASSCODE_DATA_DIR=dataDirectory` and waits until its socket
    /// accepts. The wait sleeps as a task, so it never holds a thread of the cooperative pool.
    public static func start(_ name: String, dataDirectory: String, environment: [String: String] = [:],
                             timeout: Duration = .seconds(20)) async throws -> ServiceExecutable {
        let service = try ServiceExecutable(name, dataDirectory: dataDirectory, environment: environment)
        let deadline = ContinuousClock.now + timeout
        // Ready means accepting: the socket file appears at bind, a moment before listen.
        while !Self.accepts(service.socketPath) {
            guard service.process.isRunning, ContinuousClock.now < deadline else {
                service.stop()
                throw ServiceExecutableError(description: "passcode-\(name) did not start:\n\(service.log.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return service
    }

    private init(_ name: String, dataDirectory: String, environment: [String: String]) throws {
        self.name = name
        socketPath = dataDirectory + "/\(name).sock"
        logPath = dataDirectory + "/\(name).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binDirectory + "/passcode-\(name)")
        var env = ProcessInfo.processInfo.environment
        env["PASSCODE_DATA_DIR"] = dataDirectory
        env["PASSCODE_LOG_LEVEL"] = "debug"
        env.merge(environment, uniquingKeysWith: { _, new in new })
        process.environment = env
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        // A socket file left by an earlier (killed) run must not count as ready.
        unlink(socketPath)
        try process.run()
    }

    /// Whether a Unix-domain connect to `path` succeeds now.
    static func accepts(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } == 0
        }
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGTERM, then waits; returns the exit status.
    @discardableResult
    public func stop(timeout: Double = 20) -> Int32 {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning, Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        }
        return process.terminationStatus
    }

    /// SIGKILL: no drain, no cleanup.
    public func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

public struct ServiceExecutableError: Error, CustomStringConvertible {
    public var description: String
}
