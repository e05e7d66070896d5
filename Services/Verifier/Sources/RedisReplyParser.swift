/// An incremental RESP reply parser. Bytes go in as they arrive; `next()` returns a reply only once
/// all of it is buffered and never consumes part of one. Every limit is enforced while scanning, so
/// a broken or hostile peer can make it fail but not allocate without bound. Any thrown error leaves
/// the stream unusable: the connection must be closed.
struct RedisReplyParser {
    struct Limits: Sendable {
        /// Longest bulk string (RESP `$`, `!`, `=`).
        var maxBulkLength = 4 << 20
        /// Longest simple line (`+`, `-`, `:` and the like), without its CRLF.
        var maxLineLength = 64 << 10
        /// Most elements of one aggregate, and of one reply all told.
        var maxElements = 1 << 20
        /// Deepest nesting of aggregates.
        var maxDepth = 16
        /// Most bytes buffered while a reply is still incomplete.
        var maxPendingBytes = 16 << 20
    }

    let limits: Limits
    private var buffer: [UInt8] = []
    private var start = 0

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes received but not yet returned as part of a reply.
    var pendingByteCount: Int { buffer.count - start }

    mutating func append(_ bytes: some Collection<UInt8>) {
        if start > 0 && start * 2 >= buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete reply, or nil if more bytes are needed.
    mutating func next() throws(RedisError) -> RedisValue? {
        var cursor = Cursor(index: start, elements: 0)
        guard let value = try parse(&cursor, depth: 0) else {
            if pendingByteCount > limits.maxPendingBytes {
                throw .protocolViolation("reply larger than \(limits.maxPendingBytes) bytes")
            }
            return nil
        }
        start = cursor.index
        return value
    }

    private struct Cursor {
        var index: Int
        var elements: Int
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    /// One value at `cursor`, or nil (cursor unspecified) if it is not all here yet.
    private func parse(_ cursor: inout Cursor, depth: Int) throws(RedisError) -> RedisValue? {
        guard cursor.index < buffer.count else { return nil }
        let marker = buffer[cursor.index]
        cursor.index += 1
        switch marker {
        case UInt8(ascii: "+"):
            return try line(&cursor).map { .simple(Self.string($0)) }
        case UInt8(ascii: "-"):
            return try line(&cursor).map { .error(Self.string($0)) }
        case UInt8(ascii: ":"):
            guard let digits = try line(&cursor) else { return nil }
            return .integer(try Self.integer(digits))
        case UInt8(ascii: "$"):
            return try bulk(&cursor, nullable: true).map { $0.map(RedisValue.bulk) ?? .null }
        case UInt8(ascii: "!"):
            return try bulk(&cursor, nullable: false).map { .error(Self.string($0 ?? [])) }
        case UInt8(ascii: "="):
            // Verbatim string: a three-letter format and a colon, then the text.
            guard let body = try bulk(&cursor, nullable: false) else { return nil }
            guard let body, body.count >= 4, body[3] == UInt8(ascii: ":") else {
                throw .protocolViolation("verbatim string without a format prefix")
            }
            return .bulk(Array(body[4...]))
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            guard let items = try aggregate(&cursor, depth: depth, perEntry: 1, nullable: marker == UInt8(ascii: "*")) else {
                return nil
            }
            guard let items else { return .null }
            return marker == UInt8(ascii: ">") ? .push(items) : .array(items)
        case UInt8(ascii: "%"):
            guard let items = try aggregate(&cursor, depth: depth, perEntry: 2, nullable: false) else { return nil }
            return .map(items ?? [])
        case UInt8(ascii: "|"):
            // Attributes describe the reply that follows; we have no use for them.
            guard try aggregate(&cursor, depth: depth, perEntry: 2, nullable: false) != nil else { return nil }
            return try parse(&cursor, depth: depth)
        case UInt8(ascii: "_"):
            guard let body = try line(&cursor) else { return nil }
            guard body.isEmpty else { throw .protocolViolation("null with a payload") }
            return .null
        case UInt8(ascii: "#"):
            guard let body = try line(&cursor) else { return nil }
            switch body.elementsEqual([UInt8(ascii: "t")]) ? 1 : body.elementsEqual([UInt8(ascii: "f")]) ? 0 : -1 {
            case 1: return .boolean(true)
            case 0: return .boolean(false)
            default: throw .protocolViolation("boolean that is neither t nor f")
            }
        case UInt8(ascii: ","):
            guard let body = try line(&cursor) else { return nil }
            return .double(try Self.double(body))
        case UInt8(ascii: "("):
            guard let body = try line(&cursor) else { return nil }
            let digits = body.first == UInt8(ascii: "-") ? body.dropFirst() : body[...]
            guard !digits.isEmpty, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                throw .protocolViolation("malformed big number")
            }
            return .bigNumber(Self.string(body))
        default:
            throw .protocolViolation("unknown reply type byte \(marker)")
        }
    }

    /// The bytes up to the next CRLF (which the cursor passes), or nil if no CRLF is buffered yet.
    /// A lone CR or LF inside a line is a framing error.
    private func line(_ cursor: inout Cursor) throws(RedisError) -> ArraySlice<UInt8>? {
        let from = cursor.index
        // A line of exactly maxLineLength bytes has its CR at from + maxLineLength.
        let scanEnd = min(buffer.count, from + limits.maxLineLength + 1)
        var i = from
        while i < scanEnd {
            let byte = buffer[i]
            if byte == Self.cr {
                guard i + 1 < buffer.count else { return nil }
                guard buffer[i + 1] == Self.lf else { throw .protocolViolation("CR without LF") }
                cursor.index = i + 2
                return buffer[from..<i]
            }
            if byte == Self.lf { throw .protocolViolation("LF without CR") }
            i += 1
        }
        if scanEnd - from > limits.maxLineLength { throw .protocolViolation("line longer than \(limits.maxLineLength) bytes") }
        return nil
    }

    /// A length-prefixed string: `.some(nil)` for the null length -1 (if allowed).
    private func bulk(_ cursor: inout Cursor, nullable: Bool) throws(RedisError) -> [UInt8]?? {
        guard let header = try line(&cursor) else { return nil }
        let length = try Self.integer(header)
        if length == -1 && nullable { return .some(nil) }
        guard length >= 0 else { throw .protocolViolation("negative length \(length)") }
        guard length <= limits.maxBulkLength else {
            throw .protocolViolation("bulk string of \(length) bytes exceeds \(limits.maxBulkLength)")
        }
        let count = Int(length)
        let end = cursor.index + count
        guard end + 2 <= buffer.count else { return nil }
        guard buffer[end] == Self.cr, buffer[end + 1] == Self.lf else {
            throw .protocolViolation("bulk string not followed by CRLF")
        }
        let body = Array(buffer[cursor.index..<end])
        cursor.index = end + 2
        return .some(body)
    }

    /// `count × perEntry` nested values: `.some(nil)` for the null count -1 (if allowed).
    private func aggregate(_ cursor: inout Cursor, depth: Int, perEntry: Int, nullable: Bool)
        throws(RedisError) -> [RedisValue]?? {
        guard let header = try line(&cursor) else { return nil }
        let count = try Self.integer(header)
        if count == -1 && nullable { return .some(nil) }
        guard count >= 0 else { throw .protocolViolation("negative element count \(count)") }
        guard depth < limits.maxDepth else { throw .protocolViolation("replies nested deeper than \(limits.maxDepth)") }
        guard count <= Int64(limits.maxElements / perEntry) else {
            throw .protocolViolation("aggregate of \(count) entries exceeds \(limits.maxElements / perEntry)")
        }
        let total = Int(count) * perEntry
        cursor.elements += total
        guard cursor.elements <= limits.maxElements else {
            throw .protocolViolation("reply with more than \(limits.maxElements) elements")
        }
        // Capacity follows the bytes actually present, never the announced count alone.
        var items: [RedisValue] = []
        items.reserveCapacity(min(total, (buffer.count - cursor.index) / 3 + 1))
        for _ in 0..<total {
            guard let item = try parse(&cursor, depth: depth + 1) else { return nil }
            items.append(item)
        }
        return .some(items)
    }

    private static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    private static func string(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// A signed decimal that fits in Int64, nothing else (no `+`, spaces or empty text).
    private static func integer(_ bytes: ArraySlice<UInt8>) throws(RedisError) -> Int64 {
        let negative = bytes.first == UInt8(ascii: "-")
        let digits = negative ? bytes.dropFirst() : bytes
        guard !digits.isEmpty, digits.count <= 19 else { throw .protocolViolation("malformed integer") }
        // Accumulated on the negative side, which reaches Int64.min.
        var value: Int64 = 0
        for byte in digits {
            guard byte >= 48 && byte <= 57 else { throw .protocolViolation("malformed integer") }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.subtractingReportingOverflow(Int64(byte - 48))
            guard !overflow1, !overflow2 else { throw .protocolViolation("integer out of range") }
            value = sum
        }
        if negative { return value }
        guard value != .min else { throw .protocolViolation("integer out of range") }
        return -value
    }

    private static func double(_ bytes: ArraySlice<UInt8>) throws(RedisError) -> Double {
        switch string(bytes) {
        case "inf": return .infinity
        case "-inf": return -.infinity
        case "nan": return .nan
        case let text:
            // Only what Redis sends: digits, sign, point and exponent (Double() also takes "0x…").
            guard !text.isEmpty, text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 43 || $0 == 45 || $0 == 46 || $0 == 101 || $0 == 69 }),
                  let value = Double(text) else {
                throw .protocolViolation("malformed double")
            }
            return value
        }
    }
}
