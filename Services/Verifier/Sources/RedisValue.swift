/// One reply from Redis: the RESP2 types, plus the RESP3 ones a server may send after `HELLO 3`
/// (https://redis.io/docs/latest/develop/reference/protocol-spec/).
enum RedisValue: Sendable, Equatable {
    case simple(String)
    /// An error reply (`-ERR …`, or a RESP3 blob error). Not thrown: in a pipeline one command may
    /// fail while the others succeed.
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    /// RESP2 `$-1` / `*-1`, RESP3 `_`.
    case null
    /// An array, or a RESP3 set.
    case array([RedisValue])
    /// A RESP3 map as alternating keys and values, in wire order.
    case map([RedisValue])
    case double(Double)
    case boolean(Bool)
    /// A RESP3 big number, as its decimal digits.
    case bigNumber(String)
    /// A RESP3 out-of-band push; never the answer to a command.
    case push([RedisValue])

    /// The text of a simple string, bulk string or big number.
    var text: String? {
        switch self {
        case .simple(let s), .bigNumber(let s): s
        case .bulk(let b): String(decoding: b, as: UTF8.self)
        default: nil
        }
    }

    var integerValue: Int64? {
        switch self {
        case .integer(let n): n
        case .bulk, .simple: text.flatMap { Int64($0) }
        default: nil
        }
    }

    var elements: [RedisValue]? {
        switch self {
        case .array(let a), .map(let a): a
        default: nil
        }
    }

    var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }

    /// `EVALSHA` of a script the server does not know (after a restart or `SCRIPT FLUSH`).
    var isNoScript: Bool {
        errorMessage?.hasPrefix("NOSCRIPT") ?? false
    }
}
