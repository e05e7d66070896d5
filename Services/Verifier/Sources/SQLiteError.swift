import CSQLite

/// A failed SQLite call: the extended result code and SQLite's message. Messages come from SQLite
/// and name tables or files, never bound values, so they cannot carry a code.
struct SQLiteError: Error, CustomStringConvertible, Sendable {
    var code: Int32
    var message: String

    init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    init(code: Int32, connection: OpaquePointer?) {
        self.code = code
        self.message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(code))
    }

    /// SQLITE_FULL, SQLITE_BUSY, SQLITE_IOERR…, by primary code (the low byte).
    var primaryCode: Int32 { code & 0xff }

    var description: String { "sqlite error \(code): \(message)" }
}
