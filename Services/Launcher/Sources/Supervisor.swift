import CLinux
import ConfigCore
import Foundation
import Glibc
import LogCore

/// Runs the three services as children: starts them in dependency order, restarts a crashed child
/// with exponential backoff, announces readiness once the gateway's `/readyz` answers 200, and on
/// SIGINT/SIGTERM stops them in reverse order. Everything happens on one thread, driven by
/// `sigtimedwait`, so there is no signal handler and no shared state.
final class Supervisor {
    struct Child {
        let name: String
        let executable: String
        var pid: pid_t?
        var startedAt: Double = 0
        var failures: Int = 0
        var restartAt: Double?
    }

    private var children: [Child]
    private let environment: [String: String]
    private let dataDirectory: DataDirectory
    private let logger: Logger
    private let grace: Double
    private var announced = false

    init(binDirectory: String, environment: [String: String], dataDirectory: DataDirectory, logger: Logger, grace: Double = 10) {
        children = ["verifier", "connector", "gateway"].map {
            Child(name: $0, executable: binDirectory + "/passcode-" + $0)
        }
        self.environment = environment
        self.dataDirectory = dataDirectory
        self.logger = logger
        self.grace = grace
    }

    func run() throws -> Int32 {
        var signals = Self.watchedSignals()
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        for child in children where !FileManager.default.isExecutableFile(atPath: child.executable) {
            throw LauncherError.executableMissing(child.executable)
        }
        unlink(dataDirectory.gatewayAddressFile)
        for index in children.indices { try start(index) }

        var timeout = timespec(tv_sec: 0, tv_nsec: 50_000_000)
        while true {
            let signal = sigtimedwait(&signals, nil, &timeout)
            if signal == SIGINT || signal == SIGTERM {
                logger.notice("stopping", ["signal": String(signal)])
                return stopAll()
            }
            if let code = reap() { _ = stopAll(); return code }
            restartDue()
            if !announced { announceIfReady() }
        }
    }

    private func start(_ index: Int) throws {
        var env = environment
        env["PASSCODE_PARENT_PID"] = String(getpid())
        let child = try ChildProcess.spawn(path: children[index].executable, arguments: [], environment: env)
        children[index].pid = child.pid
        children[index].startedAt = Self.now()
        children[index].restartAt = nil
        logger.info("child started", ["child": children[index].name, "pid": String(child.pid)])
    }

    /// Collects exited children. Returns an exit code when the launcher must give up: a child that
    /// exits with a sysexits code (78 = configuration error, 69 = address in use) cannot be fixed by
    /// a restart.
    private func reap() -> Int32? {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return nil }
            guard let index = children.firstIndex(where: { $0.pid == pid }) else { continue }
            children[index].pid = nil
            let exitCode = clinux_wifexited(status) != 0 ? clinux_wexitstatus(status) : -1
            let how = clinux_wifexited(status) != 0 ? "exit \(exitCode)" : "signal \(clinux_wtermsig(status))"
            // sysexits codes (64–78: bad config, port taken, …) mean a restart cannot help.
            if (64...78).contains(exitCode) {
                let line = "passcode: \(children[index].name) could not start (exit \(exitCode)\(exitCode == ConfigError.exitCode ? ", configuration error" : "")); stopping.\n"
                _ = line.withCString { write(2, $0, strlen($0)) }
                return exitCode
            }
            let ranFor = Self.now() - children[index].startedAt
            children[index].failures = ranFor > 30 ? 1 : children[index].failures + 1
            let delay = min(5.0, 0.1 * pow(2.0, Double(children[index].failures - 1)))
            children[index].restartAt = Self.now() + delay
            logger.warning("child exited; restarting", ["child": children[index].name, "how": how,
                                                         "restart_in_ms": String(Int(delay * 1000))])
        }
    }

    private func restartDue() {
        for index in children.indices {
            guard let at = children[index].restartAt, at <= Self.now() else { continue }
            do { try start(index) } catch {
                logger.error("restart failed", ["child": children[index].name, "error": "\(error)"])
                children[index].restartAt = Self.now() + 1
            }
        }
    }

    private func announceIfReady() {
        guard let (host, port) = dataDirectory.gatewayAddress(), PlainHTTPClient.isReady(host: host, port: port) else { return }
        announced = true
        let shown = host.contains(":") ? "[\(host)]" : host
        let line = "passcode ready on http://\(shown):\(port)\n"
        _ = line.withCString { write(1, $0, strlen($0)) }
    }

    /// SIGTERM to each child in reverse start order, waiting up to the grace period for each, then
    /// SIGKILL. Returns 0 when every child drained and exited cleanly.
    private func stopAll() -> Int32 {
        var clean = true
        for index in children.indices.reversed() {
            children[index].restartAt = nil
            guard let pid = children[index].pid else { continue }
            kill(pid, SIGTERM)
            let deadline = Self.now() + grace
            var status: Int32 = 0
            var exited = false
            while Self.now() < deadline {
                let r = waitpid(pid, &status, WNOHANG)
                if r == pid || (r < 0 && errno == ECHILD) { exited = true; break }
                usleep(10_000)
            }
            if !exited {
                logger.warning("child did not stop in time; killing", ["child": children[index].name])
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                clean = false
            } else if !(clinux_wifexited(status) != 0 && clinux_wexitstatus(status) == 0) {
                clean = false
            }
            children[index].pid = nil
        }
        unlink(dataDirectory.gatewayAddressFile)
        return clean ? 0 : 1
    }

    static func watchedSignals() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGINT, SIGTERM, SIGCHLD] { sigaddset(&set, signal) }
        return set
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
