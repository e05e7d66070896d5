extension HTTPRequestParser {
    /// A libFuzzer-style entry point: feeds arbitrary bytes through the parser (whole, and split at
    /// a point the input chooses) and through a connection state machine, and must never crash or
    /// hang. Call it from `LLVMFuzzerTestOneInput`; tests call it with random and mutated inputs.
    public static func fuzz(_ bytes: [UInt8]) {
        let small = HTTPLimits(
            maxRequestLineBytes: 64, maxHeaderBytes: 128, maxHeaderCount: 4, maxBodyBytes: 64, maxChunkLineBytes: 16)
        for limits in [HTTPLimits(), small] {
            var whole = HTTPRequestParser(limits: limits)
            whole.append(bytes)
            whole.drain()

            var split = HTTPRequestParser(limits: limits)
            let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
            split.append(bytes[..<cut])
            split.drain()
            split.append(bytes[cut...])
            split.drain()
        }

        var connection = HTTPConnectionStateMachine(dateCache: DateCache(clock: { 0 }))
        var pending = connection.start()
        pending += connection.handle(.bytesReceived(bytes))
        // Answer every delivered request until the machine stops asking; bounded by the input size.
        var rounds = 0
        while rounds <= bytes.count, let index = pending.firstIndex(where: { if case .deliver = $0 { true } else { false } }) {
            guard case .deliver(let request) = pending[index] else { break }
            pending = connection.handle(.responseReady(.noContent(), for: request))
            pending += connection.handle(.writeCompleted)
            rounds += 1
        }
        _ = connection.handle(.headerDeadlinePassed)
        _ = connection.handle(.inputClosed)
    }

    /// Parses requests until one is missing bytes or an error stops the parser.
    private mutating func drain() {
        while true {
            do {
                guard try nextRequest() != nil else { return }
            } catch {
                return
            }
        }
    }
}
