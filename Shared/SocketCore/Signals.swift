#if canImport(Glibc)
import Glibc
#endif

/// Process-wide signal set-up that sockets need.
enum Signals {
    /// A write to a closed peer must fail with EPIPE rather than kill the process. Sends use
    /// MSG_NOSIGNAL as well; ignoring SIGPIPE also covers plain write(2) on pipes.
    private static let sigpipeIgnored: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()

    static func ignoreSIGPIPE() {
        _ = sigpipeIgnored
    }
}
