/// A small blocking HTTP/1.1 client for the providers' APIs: one `POST` per call over a pooled
/// keep-alive connection or a new one (TLS via `TLSSession` for `https`), every step ending at the
/// delivery deadline. Run it on a dedicated thread.
///
/// Re-sending: a POST is not idempotent (RFC 9110 §9.2.2), so a request is sent again only when it
/// went out on a *reused* idle connection and the server then closed or reset that connection before
/// sending a single response byte. That is the keep-alive race of RFC 9112 §9.3.1 (the server timed
/// the idle connection out as we wrote), in which the server did not process the request; it is
/// retried once, on a new connection. A timeout, a new connection, or any response byte received
/// means no re-send here: that outcome goes back to the delivery's `RetryPolicy`, which decides with
/// the budget and backoff like for any other transient failure.
final class HTTPClient: Sendable {
    let label: String
    let caFile: String?
    let pool: HTTPConnectionPool
    /// Per connect attempt when a host has several addresses (the last one gets what is left).
    let connectAttemptTimeout: Duration

    init(label: String, caFile: String? = nil, pool: HTTPConnectionPool = HTTPConnectionPool(),
         connectAttemptTimeout: Duration = .seconds(5)) {
        self.label = label
        self.caFile = caFile
        self.pool = pool
        self.connectAttemptTimeout = connectAttemptTimeout
    }

    func post(_ endpoint: HTTPEndpoint, headers: [String: String], body: [UInt8],
              deadline: ContinuousClock.Instant) throws(DeliveryFailure) -> HTTPResponse {
        let request = try requestBytes(endpoint, headers: headers, body: body)
        if let reused = pool.checkOut(endpoint.key) {
            let receivedBefore = reused.bytesReceived
            do {
                return try exchange(request, on: reused, endpoint: endpoint, deadline: deadline)
            } catch {
                reused.close()
                guard reused.peerClosed, reused.bytesReceived == receivedBefore, ContinuousClock.now < deadline else { throw error }
            }
        }
        let fresh = try connect(endpoint, deadline: deadline)
        do {
            return try exchange(request, on: fresh, endpoint: endpoint, deadline: deadline)
        } catch {
            fresh.close()
            throw error
        }
    }

    private func connect(_ endpoint: HTTPEndpoint, deadline: ContinuousClock.Instant) throws(DeliveryFailure) -> ClientSocket {
        let socket = try ClientSocket.connect(host: endpoint.host, port: endpoint.port, label: label,
                                              attemptTimeout: connectAttemptTimeout, deadline: deadline)
        if endpoint.secure {
            do {
                try socket.startTLS(serverName: endpoint.host, insecure: false, caFile: caFile, until: deadline)
            } catch {
                socket.close()
                throw error
            }
        }
        return socket
    }

    /// Sends the request and reads the response; a connection fit for another request goes back to the pool.
    private func exchange(_ request: [UInt8], on socket: ClientSocket, endpoint: HTTPEndpoint,
                          deadline: ContinuousClock.Instant) throws(DeliveryFailure) -> HTTPResponse {
        try socket.write(request, until: deadline)
        let (response, reusable) = try HTTPResponseReader(socket: socket, label: label, until: deadline).read()
        if reusable { pool.checkIn(socket, key: endpoint.key) } else { socket.close() }
        return response
    }

    /// Head and body in one buffer, so the request leaves in as few segments (or TLS records) as possible.
    func requestBytes(_ endpoint: HTTPEndpoint, headers: [String: String], body: [UInt8]) throws(DeliveryFailure) -> [UInt8] {
        var head = "POST \(endpoint.target) HTTP/1.1\r\nHost: \(endpoint.hostHeader)\r\nUser-Agent: passcode-connector\r\n"
            + "Connection: keep-alive\r\nContent-Length: \(body.count)\r\n"
        let ours: Set<String> = ["host", "user-agent", "connection", "content-length", "transfer-encoding"]
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) where !ours.contains(name.lowercased()) {
            // A CR or LF would end the field early and let a value inject its own (RFC 9110 §5.5).
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }),
                  value.utf8.allSatisfy({ $0 != 0x0D && $0 != 0x0A && $0 != 0x00 })
            else { throw .permanent("\(label): a request header is not valid") }
            head += "\(name): \(value)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + body
    }
}
