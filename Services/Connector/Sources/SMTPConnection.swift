/// A client connection to an SMTP server: a `ClientSocket` plus SMTP's timing rule, where each step
/// (connect, handshake, one command and its reply) gets the step timeout, capped by the delivery's
/// budget. Blocking: it runs on the delivery's own thread.
final class SMTPConnection {
    private let socket: ClientSocket
    let stepTimeout: Duration
    let deadline: ContinuousClock.Instant

    var isSecure: Bool { socket.isSecure }

    private init(socket: ClientSocket, stepTimeout: Duration, deadline: ContinuousClock.Instant) {
        self.socket = socket
        self.stepTimeout = stepTimeout
        self.deadline = deadline
    }

    /// The deadline of the step starting now: the step timeout, capped by the delivery's budget.
    func stepDeadline() -> ContinuousClock.Instant { min(deadline, .now + stepTimeout) }

    static func open(host: String, port: Int, stepTimeout: Duration, deadline: ContinuousClock.Instant) throws(DeliveryFailure) -> SMTPConnection {
        let socket = try ClientSocket.connect(host: host, port: port, label: "smtp", attemptTimeout: stepTimeout,
                                              deadline: min(deadline, .now + stepTimeout))
        return SMTPConnection(socket: socket, stepTimeout: stepTimeout, deadline: deadline)
    }

    /// Starts TLS on the connection (implicit TLS, or after `STARTTLS` was accepted).
    func startTLS(serverName: String, insecure: Bool, caFile: String?) throws(DeliveryFailure) {
        try socket.startTLS(serverName: serverName, insecure: insecure, caFile: caFile, until: stepDeadline())
    }

    func write(_ bytes: [UInt8]) throws(DeliveryFailure) {
        try socket.write(bytes, until: stepDeadline())
    }

    /// Reads one line (without its CRLF or LF), at most `maxLength` bytes (RFC 5321 §4.5.3.1.5 allows 512).
    func readLine(maxLength: Int = 2048, until: ContinuousClock.Instant) throws(DeliveryFailure) -> String {
        String(decoding: try socket.readLine(maxLength: maxLength, until: until), as: UTF8.self)
    }

    func close() { socket.close() }
}
