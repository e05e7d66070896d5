/// A Lua script run atomically by Redis (`EVALSHA`). Every key a script touches is passed in
/// `KEYS`, never built inside it, and all of one call's keys share a hash tag, so the script also
/// runs on Redis Cluster (https://redis.io/docs/latest/develop/interact/programmability/eval-intro/).
struct RedisScript: Sendable, Equatable {
    let name: String
    let source: String
}

/// One call in a pipeline: a plain command, or a script with its keys and arguments.
enum RedisCall: Sendable {
    case command(RedisCommand)
    case script(RedisScript, keys: [String], arguments: [String])

    static func command(_ arguments: String...) -> RedisCall {
        .command(RedisCommand(arguments))
    }
}
