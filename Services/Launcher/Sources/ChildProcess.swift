import CLinux
import Glibc

/// A child started with posix_spawn, with default signal dispositions and an empty signal mask
/// (the launcher blocks SIGINT/SIGTERM/SIGCHLD for itself; children must not inherit that).
struct ChildProcess {
    let pid: pid_t

    static func spawn(path: String, arguments: [String], environment: [String: String]) throws -> ChildProcess {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, nil, &attributes, argv, envp)
        guard rc == 0 else { throw LauncherError.spawnFailed(path: path, errno: rc) }
        return ChildProcess(pid: pid)
    }
}

enum LauncherError: Error, CustomStringConvertible {
    case spawnFailed(path: String, errno: Int32)
    case executableMissing(String)

    var description: String {
        switch self {
        case .spawnFailed(let path, let code): "cannot start \(path): \(String(cString: strerror(code)))"
        case .executableMissing(let path): "executable not found: \(path) (build with `swift build` first)"
        }
    }
}
