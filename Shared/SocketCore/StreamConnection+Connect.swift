import CLinux
#if canImport(Glibc)
import Glibc
#endif

extension StreamConnection {
    /// Loop thread only. Opens a non-blocking connection to `address` (TCP or Unix). `completion`
    /// runs on the loop, never synchronously inside this call, with the connection or the error:
    /// a missing Unix path or a refused port fails at once; an unanswered TCP connect fails with
    /// ETIMEDOUT after `timeout`.
    public static func connect(
        to address: SocketAddress, on loop: EventLoop, timeout: Duration = .seconds(2),
        _ completion: @escaping (Result<StreamConnection, SocketError>) -> Void
    ) {
        assert(loop.inEventLoop, "connect called off the loop thread")
        let fd: Int32
        do {
            fd = try Syscall.socket(domain: address.family)
        } catch {
            loop.executeSoon { completion(.failure(error)) }
            return
        }
        let code: Int32
        do {
            let rc = try address.withSockAddr("connect") { sa, length in Glibc.connect(fd, sa, length) }
            code = rc == 0 ? 0 : clinux_errno()
        } catch {
            Syscall.close(fd)
            loop.executeSoon { completion(.failure(error)) }
            return
        }
        if code == 0 {
            finishConnect(fd: fd, address: address, loop: loop, completion)
            return
        }
        // EINTR leaves the connect running in the background, like EINPROGRESS (connect(2)).
        guard code == EINPROGRESS || code == EINTR else {
            Syscall.close(fd)
            let error = SocketError(errno: code, call: "connect", details: address.description)
            loop.executeSoon { completion(.failure(error)) }
            return
        }
        PendingConnect(fd: fd, address: address, loop: loop, timeout: timeout, completion: completion).start()
    }

    fileprivate static func finishConnect(
        fd: Int32, address: SocketAddress, loop: EventLoop, _ completion: @escaping (Result<StreamConnection, SocketError>) -> Void
    ) {
        if case .ip = address { try? Syscall.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1) }
        do {
            let connection = try StreamConnection(fd: fd, peer: address, loop: loop, limit: nil)
            loop.executeSoon { completion(.success(connection)) }
        } catch {
            loop.executeSoon { completion(.failure(error)) }
        }
    }
}

/// A connect in progress: waits for writability or the timeout, whichever comes first.
private final class PendingConnect {
    let fd: Int32
    let address: SocketAddress
    let loop: EventLoop
    let timeout: Duration
    var completion: ((Result<StreamConnection, SocketError>) -> Void)?
    var registration: IORegistration?
    var timer: TimerToken?

    init(fd: Int32, address: SocketAddress, loop: EventLoop, timeout: Duration,
         completion: @escaping (Result<StreamConnection, SocketError>) -> Void) {
        self.fd = fd
        self.address = address
        self.loop = loop
        self.timeout = timeout
        self.completion = completion
    }

    func start() {
        do {
            registration = try loop.register(fd: fd, interest: .writable) { [self] events in
                if events.contains(.loopShutdown) {
                    fail(SocketError(errno: ECANCELED, call: "connect", details: address.description))
                } else {
                    ready()
                }
            }
        } catch {
            Syscall.close(fd)
            let callback = completion
            completion = nil
            loop.executeSoon { callback?(.failure(error)) }
            return
        }
        timer = loop.scheduleTimer(after: timeout) { [self] in
            timer = nil
            fail(SocketError(errno: ETIMEDOUT, call: "connect", details: address.description))
        }
    }

    private func ready() {
        guard let callback = completion else { return }
        completion = nil
        stopWatching()
        let code = Syscall.pendingError(fd)
        if code == 0 {
            StreamConnection.finishConnect(fd: fd, address: address, loop: loop, callback)
        } else {
            Syscall.close(fd)
            callback(.failure(SocketError(errno: code, call: "connect", details: address.description)))
        }
    }

    private func fail(_ error: SocketError) {
        guard let callback = completion else { return }
        completion = nil
        stopWatching()
        Syscall.close(fd)
        callback(.failure(error))
    }

    private func stopWatching() {
        if let timer { loop.cancelTimer(timer) }
        timer = nil
        if let registration { loop.deregister(registration) }
        registration = nil
    }
}
