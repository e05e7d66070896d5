/// Where and how to reach Redis, parsed from `PASSCODE_STORE`:
/// `redis://[[user]:password@]host[:port][/db]` (TCP, port 6379 by default; an IPv6 host in
/// brackets) or `redis+unix://[[user]:password@]/path/to/redis.sock[?db=N]`. User and password may
/// be percent-encoded (RFC 3986 §2.1). With a password and no user, `AUTH password` is sent
/// (the `default` user); with both, `AUTH user password` (Redis 6 ACLs).
struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    var address: Address
    var username: String?
    var password: String?
    var database: Int

    init(address: Address, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.address = address
        self.username = username
        self.password = password
        self.database = database
    }

    init(url: String) throws(RedisError) {
        let lowered = url.lowercased()
        if lowered.hasPrefix("redis://") {
            try self.init(tcp: String(url.dropFirst("redis://".count)))
        } else if lowered.hasPrefix("redis+unix://") {
            try self.init(unix: String(url.dropFirst("redis+unix://".count)))
        } else {
            throw .invalidURL("expected redis://host[:port][/db] or redis+unix:///path")
        }
    }

    private init(tcp rest: String) throws(RedisError) {
        let (credentials, location) = try Self.splitCredentials(rest)
        var hostPort = location
        var database = 0
        if let slash = location.firstIndex(of: "/") {
            hostPort = String(location[..<slash])
            let db = location[location.index(after: slash)...]
            if !db.isEmpty { database = try Self.database(String(db)) }
        }
        var host: String
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw .invalidURL("unclosed [ in the host") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw .invalidURL("unexpected text after the host") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.firstIndex(of: ":") {
            host = String(hostPort[..<colon])
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        guard !host.isEmpty, host.utf8.count <= 253,
              host.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0 != "/" && $0 != "?" && $0 != "#" }) else {
            throw .invalidURL("missing or malformed host")
        }
        var port = 6379
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p), portText.allSatisfy(\.isASCII) else {
                throw .invalidURL("port must be 1 to 65535")
            }
            port = p
        }
        self.init(address: .tcp(host: host, port: port), username: credentials.user, password: credentials.password,
                  database: database)
    }

    private init(unix rest: String) throws(RedisError) {
        let (credentials, location) = try Self.splitCredentials(rest)
        var path = location
        var database = 0
        if let question = location.firstIndex(of: "?") {
            path = String(location[..<question])
            let query = location[location.index(after: question)...]
            guard query.hasPrefix("db=") else { throw .invalidURL("the only query parameter is db=N") }
            database = try Self.database(String(query.dropFirst(3)))
        }
        // sockaddr_un holds 108 bytes including the terminating NUL.
        guard path.hasPrefix("/"), path.utf8.count < 108, !path.utf8.contains(0) else {
            throw .invalidURL("the socket path must be absolute and shorter than 108 bytes")
        }
        self.init(address: .unix(path: path), username: credentials.user, password: credentials.password, database: database)
    }

    /// Splits `[user[:password]@]rest`; the `@` is the last one, since a password may contain one
    /// only percent-encoded but users paste them raw anyway.
    private static func splitCredentials(_ text: String) throws(RedisError) -> ((user: String?, password: String?), String) {
        guard let at = text.lastIndex(of: "@") else { return ((nil, nil), text) }
        let userinfo = text[..<at]
        let rest = String(text[text.index(after: at)...])
        guard let colon = userinfo.firstIndex(of: ":") else {
            throw .invalidURL("credentials need a password: user:password@ or :password@")
        }
        let user = try decode(userinfo[..<colon])
        let password = try decode(userinfo[userinfo.index(after: colon)...])
        guard !password.isEmpty else { throw .invalidURL("empty password") }
        return ((user.isEmpty ? nil : user, password), rest)
    }

    private static func database(_ text: String) throws(RedisError) -> Int {
        guard let db = Int(text), db >= 0, db <= Int(Int32.max), text.allSatisfy(\.isASCII) else {
            throw .invalidURL("the database must be a number")
        }
        return db
    }

    /// RFC 3986 §2.1 percent-decoding; a malformed escape is an error, not passed through.
    private static func decode(_ text: Substring) throws(RedisError) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            let pair = utf8.prefix(2)
            guard pair.count == 2, pair.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
                  let value = UInt8(String(decoding: pair, as: UTF8.self), radix: 16) else {
                throw .invalidURL("malformed percent-escape in the credentials")
            }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The endpoint without its password, for logs.
    var description: String {
        let auth = password == nil ? "" : "\(username ?? ""):***@"
        switch address {
        case .tcp(let host, let port):
            let shown = host.contains(":") ? "[\(host)]" : host
            return "redis://\(auth)\(shown):\(port)/\(database)"
        case .unix(let path):
            return "redis+unix://\(auth)\(path)?db=\(database)"
        }
    }
}
