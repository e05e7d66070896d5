/// Why a Redis call failed. Every case means the store step may not have happened (or, for a
/// timeout or a dropped connection after the command was written, that we cannot know): the
/// verifier answers `service.unavailable`. Descriptions never contain a password or a code.
enum RedisError: Error, Equatable, CustomStringConvertible {
    /// `PASSCODE_STORE` is not a Redis URL we understand.
    case invalidURL(String)
    /// Could not open a connection (refused, unreachable, name not resolved).
    case connectFailed(String)
    /// No answer within the connect or I/O timeout.
    case timedOut(String)
    /// The server closed the connection.
    case connectionClosed
    /// A recent connect failed; the next attempt waits for the backoff instead of piling on.
    case backingOff(retryInMilliseconds: Int)
    /// The bytes from the server are not RESP, or exceed our limits.
    case protocolViolation(String)
    /// The server answered with an error where a value was needed (e.g. `AUTH` refused).
    case server(String)
    /// A well-formed reply of the wrong shape for the command.
    case unexpectedReply(String)
    /// An operating-system call failed.
    case system(call: String, errno: Int32)

    var description: String {
        switch self {
        case .invalidURL(let why): "invalid Redis URL: \(why)"
        case .connectFailed(let why): "cannot connect to Redis: \(why)"
        case .timedOut(let what): "Redis timed out (\(what))"
        case .connectionClosed: "Redis closed the connection"
        case .backingOff(let ms): "Redis is unreachable; next connection attempt in \(ms) ms"
        case .protocolViolation(let why): "Redis protocol violation: \(why)"
        case .server(let message): "Redis error: \(message)"
        case .unexpectedReply(let why): "unexpected Redis reply: \(why)"
        case .system(let call, let code): "\(call) failed with errno \(code)"
        }
    }
}
