/// One command as RESP sends it: an array of bulk strings (binary-safe, so arguments are bytes).
struct RedisCommand: Sendable, Equatable {
    var arguments: [[UInt8]]

    init(_ arguments: [[UInt8]]) {
        self.arguments = arguments
    }

    init(_ arguments: [String]) {
        self.arguments = arguments.map { Array($0.utf8) }
    }

    init(_ arguments: String...) {
        self.init(arguments)
    }

    /// The command's name, for error messages (never its arguments: they may hold a password).
    var name: String {
        arguments.first.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Appends `*N\r\n` then `$len\r\narg\r\n` for each argument.
    func encode(into out: inout [UInt8]) {
        Self.header(UInt8(ascii: "*"), arguments.count, into: &out)
        for argument in arguments {
            Self.header(UInt8(ascii: "$"), argument.count, into: &out)
            out.append(contentsOf: argument)
            out.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
        }
    }

    private static func header(_ marker: UInt8, _ count: Int, into out: inout [UInt8]) {
        out.append(marker)
        out.append(contentsOf: String(count).utf8)
        out.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
    }
}
