/// The store's handle on Redis for one worker thread: a connection opened on first use and again
/// after any failure (subject to the shared `RedisBackoff`), with the store's scripts loaded
/// (`SCRIPT LOAD`) on every new connection so calls send only their SHA-1.
///
/// A store runs one client per worker thread; together they are the connection pool, one
/// connection per thread, so no connection is ever shared and none needs a lock.
final class RedisClient {
    struct Options: Sendable {
        var connectTimeout: Duration = .seconds(1)
        var ioTimeout: Duration = .seconds(1)
        var limits = RedisReplyParser.Limits()
    }

    let endpoint: RedisEndpoint
    let options: Options
    let backoff: RedisBackoff
    let scripts: [RedisScript]
    private var connection: RedisConnection?
    /// SHA-1 of each script by name, as this connection's `SCRIPT LOAD` answered.
    private var digests: [String: String] = [:]

    init(endpoint: RedisEndpoint, options: Options = Options(), backoff: RedisBackoff, scripts: [RedisScript]) {
        self.endpoint = endpoint
        self.options = options
        self.backoff = backoff
        self.scripts = scripts
    }

    /// Sends `calls` as one pipeline and returns one reply each, in order (error replies included).
    /// Calls of one pipeline must not depend on each other's order: a script the server no longer
    /// knows (`NOSCRIPT`: Redis restarted, failed over or ran `SCRIPT FLUSH`) did not run, and is run
    /// again with `EVAL` after the rest of the pipeline.
    func run(_ calls: [RedisCall]) throws(RedisError) -> [RedisValue] {
        let connection = try connected()
        do throws(RedisError) {
            var replies = try connection.send(calls.map(command(for:)))
            let lost = replies.indices.filter { replies[$0].isNoScript }
            if !lost.isEmpty {
                let again = try connection.send(lost.map { index in
                    guard case .script(let script, let keys, let arguments) = calls[index] else { return command(for: calls[index]) }
                    return Self.eval(script.source, keys: keys, arguments: arguments)
                })
                for (index, reply) in zip(lost, again) { replies[index] = reply }
            }
            return replies
        } catch {
            // A dead or stuck server: let every thread of this store fail fast for a moment.
            backoff.recordFailure()
            self.connection = nil
            throw error
        }
    }

    /// One call; an error reply is thrown as `RedisError.server`.
    func value(_ call: RedisCall) throws(RedisError) -> RedisValue {
        let reply = try run([call])[0]
        if let message = reply.errorMessage { throw .server(message) }
        return reply
    }

    func close() {
        connection = nil
    }

    private func connected() throws(RedisError) -> RedisConnection {
        try backoff.permit()
        if let connection, !connection.isStale { return connection }
        connection = nil
        do throws(RedisError) {
            let fresh = try RedisConnection(endpoint: endpoint, connectTimeout: options.connectTimeout,
                                            ioTimeout: options.ioTimeout, limits: options.limits)
            let loaded = try fresh.send(scripts.map { RedisCommand("SCRIPT", "LOAD", $0.source) })
            var digests: [String: String] = [:]
            for (script, reply) in zip(scripts, loaded) {
                guard let sha = reply.text, sha.utf8.count == 40 else {
                    throw RedisError.server("SCRIPT LOAD \(script.name): \(reply.errorMessage ?? "unexpected reply")")
                }
                digests[script.name] = sha
            }
            self.digests = digests
            connection = fresh
            backoff.recordSuccess()
            return fresh
        } catch {
            backoff.recordFailure()
            throw error
        }
    }

    private func command(for call: RedisCall) -> RedisCommand {
        switch call {
        case .command(let command):
            return command
        case .script(let script, let keys, let arguments):
            guard let sha = digests[script.name] else { return Self.eval(script.source, keys: keys, arguments: arguments) }
            return RedisCommand(["EVALSHA", sha, String(keys.count)] + keys + arguments)
        }
    }

    private static func eval(_ source: String, keys: [String], arguments: [String]) -> RedisCommand {
        RedisCommand(["EVAL", source, String(keys.count)] + keys + arguments)
    }
}
