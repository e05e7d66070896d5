import CLinux
import Glibc

/// SIGINT/SIGTERM handling without async-signal-unsafe handlers: the signals are blocked in every
/// thread (call `block()` first thing in `main`, before any thread starts, so all threads inherit
/// the mask) and a thread waits for them synchronously with `sigwait`.
public enum TerminationSignals {
    public static func block() {
        var set = termination()
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Blocks the calling thread until SIGINT or SIGTERM arrives; returns the signal.
    public static func wait() -> Int32 {
        var set = termination()
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }

    /// Asks the kernel to send SIGTERM to this process when the launcher that spawned it dies, so a
    /// SIGKILLed launcher leaves no orphans. Only when `PASSCODE_PARENT_PID` names our actual parent.
    public static func dieWithParent(environment: [String: String]) {
        guard let raw = environment["PASSCODE_PARENT_PID"], let parent = Int32(raw) else { return }
        _ = clinux_set_pdeathsig(SIGTERM)
        if getppid() != parent { raise(SIGTERM) }
    }

    static func termination() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }
}
