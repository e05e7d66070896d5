import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// One SQLite connection, confined to the thread that uses it (opened `NOMUTEX`), with a cache of
/// prepared statements keyed by their SQL text (always literals, so the cache is bounded).
final class SQLiteConnection {
    private let handle: OpaquePointer
    private var statements: [StatementKey: SQLiteStatement] = [:]
    /// Bumped by SQLite's commit hook on every committed transaction: how tests and the scale
    /// measurement count transactions (group commit), independently of the code that opens them.
    private let commitCounter: UnsafeMutablePointer<Int>
    /// Bumped by SQLite's rollback hook on every transaction rolled back, by a `ROLLBACK` or by
    /// SQLite itself after an error (not by `ROLLBACK TO` a savepoint): how `AttemptLedger` learns
    /// that appends it counted may be gone.
    private let rollbackCounter: UnsafeMutablePointer<Int>

    /// Process-wide SQLite settings, applied once before the first connection opens (see
    /// `passcode_sqlite3_disable_memstatus` in CSQLite's shim.h).
    static let libraryConfigured: Bool = passcode_sqlite3_disable_memstatus() == SQLITE_OK

    /// Opens `path` through the VFS named `vfs` (nil: SQLite's default, "unix").
    init(path: String, busyTimeoutMilliseconds: Int32, vfs: String? = nil) throws {
        _ = Self.libraryConfigured
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, vfs)
        guard rc == SQLITE_OK, let db else {
            let error = SQLiteError(code: rc, connection: db)
            sqlite3_close_v2(db)
            throw error
        }
        handle = db
        commitCounter = .allocate(capacity: 1)
        commitCounter.initialize(to: 0)
        sqlite3_commit_hook(db, { context in
            context?.assumingMemoryBound(to: Int.self).pointee += 1
            return 0 // 0 lets the commit go ahead
        }, commitCounter)
        rollbackCounter = .allocate(capacity: 1)
        rollbackCounter.initialize(to: 0)
        sqlite3_rollback_hook(db, { context in
            context?.assumingMemoryBound(to: Int.self).pointee += 1
        }, rollbackCounter)
        sqlite3_extended_result_codes(db, 1)
        // A second process (or connection) holding the write lock is waited for, up to this long.
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement.handle) }
        sqlite3_close_v2(handle)
        commitCounter.deallocate()
        rollbackCounter.deallocate()
    }

    /// Transactions committed on this connection so far.
    var commits: Int { commitCounter.pointee }

    /// Transactions rolled back on this connection so far.
    var rollbacks: Int { rollbackCounter.pointee }

    typealias WALHook = @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32

    /// Replaces SQLite's automatic checkpoint with `hook`, called after each commit with the WAL's
    /// size in pages (`sqlite3_wal_hook`); nil removes it.
    func setWALHook(_ context: UnsafeMutableRawPointer?, _ hook: WALHook?) {
        sqlite3_wal_hook(handle, hook, context)
    }

    func error(_ rc: Int32) -> SQLiteError {
        // Extended result codes are on, so `rc` already says e.g. SQLITE_IOERR_WRITE.
        SQLiteError(code: rc, connection: handle)
    }

    /// Runs SQL text that may hold several statements and returns no rows (schema scripts, pragmas).
    func execute(_ sql: String) throws {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc) }
    }

    /// `execute`, retried while SQLite answers SQLITE_BUSY without waiting itself: `PRAGMA
    /// journal_mode` on a connection opening a WAL database that another connection (another
    /// verifier on the same file, or this store's own checkpoint connection) is using can do that,
    /// the busy timeout notwithstanding. Gives up after `timeout`.
    func executeRetryingBusy(_ sql: String, timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                return try execute(sql)
            } catch let error as SQLiteError where error.code & 0xFF == SQLITE_BUSY && ContinuousClock.now < deadline {
                usleep(5_000)
            }
        }
    }

    func prepared(_ sql: String) throws -> SQLiteStatement {
        let key = StatementKey(sql: sql)
        if let cached = statements[key] { return cached }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw error(rc) }
        let statement = SQLiteStatement(handle: raw, connection: self)
        statements[key] = statement
        return statement
    }

    /// The SQL of every statement prepared so far (tests check their query plans).
    var preparedSQL: [String] { statements.keys.map(\.sql) }

    /// Runs one statement and returns all its rows.
    @discardableResult
    func rows(_ sql: String, _ values: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(values)
        var out: [[SQLiteValue]] = []
        let columns = statement.columnCount
        while try statement.step() {
            out.append((0..<columns).map { statement.column($0) })
        }
        return out
    }

    /// Runs one statement that returns no rows; returns how many rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [SQLiteValue] = []) throws -> Int {
        try rows(sql, values)
        return Int(sqlite3_changes(handle))
    }

    /// The first row of `sql`, read by `read` from the statement itself (no arrays built for the
    /// rows and their values, as `rows` does); nil when there is none. For queries of one row.
    func firstRow<T>(_ sql: String, _ values: [SQLiteValue] = [], _ read: (SQLiteStatement) -> T?) throws -> T? {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(values)
        guard try statement.step() else { return nil }
        return read(statement)
    }

    /// The first column of the first row, if any.
    func scalar(_ sql: String, _ values: [SQLiteValue] = []) throws -> SQLiteValue? {
        try rows(sql, values).first?.first
    }

    /// The rowid of the last row this connection inserted.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// True inside a transaction (SQLite has left autocommit mode).
    var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Bumped by every transaction this connection begins through `beginImmediate` (how the store
    /// begins them all).
    private(set) var transactionSerial = 0

    /// Tells the current transaction from every earlier one on this connection: a transaction ends
    /// by a COMMIT (the commit hook counts it: a `BEGIN IMMEDIATE` transaction is a write
    /// transaction, so the hook runs even when nothing changed) or a ROLLBACK (counted by the
    /// rollback hook), and one begun by `beginImmediate` also moves the serial.
    var transactionMark: TransactionMark { TransactionMark(serial: transactionSerial, commits: commits, rollbacks: rollbacks) }

    struct TransactionMark: Equatable {
        let serial: Int
        let commits: Int
        let rollbacks: Int
    }

    /// `BEGIN IMMEDIATE`: the write lock up front, so no other connection writes until this
    /// transaction ends.
    func beginImmediate() throws {
        try run("BEGIN IMMEDIATE")
        transactionSerial += 1
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so two
    /// connections never both read and then fail to upgrade. Any error rolls everything back.
    /// Inside a transaction already, `body` just runs in it: that is a group-commit batch, whose
    /// `runBatch` (SQLiteStore+Batch.swift) undoes a failed job itself (the batch's first attempt
    /// whole, then the job alone, rolled back to a savepoint of its own), so a savepoint here would
    /// only repeat that work.
    @discardableResult
    func immediateTransaction<T>(_ body: () throws -> T) throws -> T {
        if inTransaction { return try body() }
        try beginImmediate()
        do {
            let value = try body()
            try run("COMMIT")
            return value
        } catch {
            // SQLite may already have rolled back by itself (e.g. after SQLITE_FULL); then this fails
            // harmlessly with "no transaction is active".
            _ = try? run("ROLLBACK")
            throw error
        }
    }
}

/// The statement cache's key: the SQL text, hashed by its length and three 8-byte samples (start,
/// middle, end) instead of every byte. The cache holds a few dozen distinct literals, which those
/// samples tell apart; equality is still the whole text, so a shared hash only costs a compare.
/// (Hashing whole statements, a few hundred bytes each, on every lookup was about 4% of the
/// verifier's instructions under verify-miss: bench/profile.)
struct StatementKey: Hashable {
    let sql: String

    static func == (a: StatementKey, b: StatementKey) -> Bool { a.sql == b.sql }

    func hash(into hasher: inout Hasher) {
        var text = sql
        text.withUTF8 { bytes in
            hasher.combine(bytes.count)
            let raw = UnsafeRawBufferPointer(bytes)
            guard raw.count >= 8 else {
                hasher.combine(bytes: raw)
                return
            }
            hasher.combine(raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            hasher.combine(raw.loadUnaligned(fromByteOffset: (raw.count - 8) / 2, as: UInt64.self))
            hasher.combine(raw.loadUnaligned(fromByteOffset: raw.count - 8, as: UInt64.self))
        }
    }
}
