/// One open connection to Redis, after its handshake (`AUTH`, `SELECT`). Commands are pipelined:
/// all written at once, then one reply read per command, the whole exchange bounded by the I/O
/// timeout. After any failure the stream may be out of step with the server (a reply may still be
/// on its way), so the connection marks itself broken and is never used again. Belongs to one thread.
final class RedisConnection {
    private let socket: RedisSocket
    private var parser: RedisReplyParser
    private let ioTimeout: Duration
    private(set) var isBroken = false

    init(endpoint: RedisEndpoint, connectTimeout: Duration, ioTimeout: Duration,
         limits: RedisReplyParser.Limits = RedisReplyParser.Limits()) throws(RedisError) {
        socket = try RedisSocket.connect(endpoint.address, timeout: connectTimeout)
        parser = RedisReplyParser(limits: limits)
        self.ioTimeout = ioTimeout

        var handshake: [RedisCommand] = []
        if let password = endpoint.password {
            handshake.append(RedisCommand(endpoint.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]))
        }
        if endpoint.database != 0 {
            handshake.append(RedisCommand("SELECT", String(endpoint.database)))
        }
        guard !handshake.isEmpty else { return }
        for (command, reply) in zip(handshake, try send(handshake)) {
            if let message = reply.errorMessage {
                isBroken = true
                throw .server("\(command.name) refused: \(message)")
            }
        }
    }

    /// Writes `commands` in one go and returns their replies in order. Error replies are values, so
    /// one failing command does not hide the others' results.
    func send(_ commands: [RedisCommand]) throws(RedisError) -> [RedisValue] {
        guard !isBroken else { throw .connectionClosed }
        do {
            let deadline = ContinuousClock.now + ioTimeout
            var bytes: [UInt8] = []
            for command in commands { command.encode(into: &bytes) }
            try socket.write(bytes, deadline: deadline)
            var replies: [RedisValue] = []
            replies.reserveCapacity(commands.count)
            while replies.count < commands.count {
                guard let reply = try parser.next() else {
                    try socket.read(into: &parser, deadline: deadline)
                    continue
                }
                // Out-of-band RESP3 pushes answer no command.
                if case .push = reply { continue }
                replies.append(reply)
            }
            // Bytes beyond the last reply answer nothing we sent: the stream is out of step.
            if parser.pendingByteCount > 0 { markBroken() }
            return replies
        } catch {
            markBroken()
            throw error
        }
    }

    /// True if the connection must not be used: it failed before, or the server closed it (or sent
    /// something unasked) while it sat idle — e.g. Redis restarted.
    var isStale: Bool {
        isBroken || socket.hasInputWhileIdle
    }

    private func markBroken() {
        isBroken = true
        socket.close()
    }
}
