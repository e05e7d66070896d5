/// A value bound to or read from a SQLite statement.
enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    var int: Int? {
        switch self {
        case .integer(let v): Int(v)
        case .real(let v): Int(exactly: v.rounded(.towardZero))
        default: nil
        }
    }

    var double: Double? {
        switch self {
        case .real(let v): v
        case .integer(let v): Double(v)
        default: nil
        }
    }

    var string: String? {
        if case .text(let v) = self { return v }
        return nil
    }

    var bytes: [UInt8]? {
        if case .blob(let v) = self { return v }
        return nil
    }
}
