/// The SQLite store's wrong guesses since migration 4, held in memory in front of `attempt_log`
/// (issue 7: a verify must cost the same with a million live records as with a thousand).
///
/// Why: a wrong guess must be durable before it is answered, and any table keyed by the record puts
/// the guesses on a million records on a million different pages: each miss read one page at
/// random and dirtied it, and the checkpoints wrote those pages back all over the file. Measured on
/// `bench/run`'s scaling scenario, 1,000,000 live records ran at 0.63× the 1,000-record throughput.
/// `attempt_log` takes a miss as an append instead: its rows are in `seq` order, so every append
/// lands on the same last page. The log has no index by record; the counts per record live here.
///
/// Coherence: every transaction that reads attempts first calls `catchUp`, inside its `BEGIN
/// IMMEDIATE` (no other connection can append meanwhile), and applies the rows past `cursor`: the
/// appends of other verifiers sharing the file, none when this process is the only writer. Its own
/// appends are applied as they are made (`appendMiss`). `seq` never goes back: rows are only ever
/// added past the largest, and the purge always keeps the newest row (`SQLiteStore.purgeExpired`),
/// so a row numbered at or below `cursor` has been applied. A rollback can take back appends that
/// were already counted here: after any rollback of a transaction (the connection counts them) or
/// of a group-commit job's savepoint (`invalidate`), the next `catchUp` reads the whole log again
/// (the log holds at most the last `retention` seconds of misses).
///
/// Keys are the records' ids hashed with `Hasher` (SipHash, seeded per process): 16 bytes a record
/// instead of a string. Two ids sharing a hash would add up their misses, which can only stop
/// guessing early, never allow a guess more: and at a million live records the chance that a given
/// record shares its hash is about 1 in 10^13.
///
/// Confined to the store's thread, like the connection it reads.
final class AttemptLedger {
    private struct Entry {
        var failures: Int32
        /// The newest log row counted here; once the purge has removed every row up to it, the
        /// entry goes too.
        var lastSeq: Int64
    }

    /// How long a miss stays in the log: a record lives at most the largest `PASSCODE_CODE_TTL`
    /// (3,600 s), and an expired record is answered `expired` before its attempts are looked at.
    static let retention: Double = Double(VerifierConfig.codeTTLRange.upperBound)

    private var entries: [Int: Entry] = [:]
    /// The largest `seq` applied.
    private var cursor: Int64 = 0
    private var loaded = false
    /// The connection's rollback count when the counts here were last known to be right.
    private var rollbacksSeen = 0
    /// The `firstKeptSeq` of the last `forget`.
    private var forgottenBefore: Int64 = 0
    /// The transaction (`SQLiteConnection.transactionMark`) the last `catchUp` ran in, if any.
    private var caughtUpIn: SQLiteConnection.TransactionMark?
    /// How many times `catchUp` read the log (tests).
    private(set) var logReads = 0

    private static let selectSince = "SELECT seq, record_id FROM attempt_log WHERE seq > ? ORDER BY seq"
    private static let append = "INSERT INTO attempt_log (record_id, failed_at) VALUES (?, ?)"

    /// Misses counted for `recordID` since migration 4.
    func failures(of recordID: String) -> Int {
        Int(entries[recordID.hashValue]?.failures ?? 0)
    }

    /// Records whose misses are held (tests).
    var count: Int { entries.count }

    /// Applies the log rows other connections appended since the last call; on the first call, or
    /// after `invalidate`, reads the whole log.
    func catchUp(_ db: SQLiteConnection) throws {
        // Once per transaction is enough: its write lock keeps every other connection from
        // appending until it ends, and this connection's own appends are counted as they are made.
        // A group-commit batch runs all its jobs in one transaction, so it reads the log once.
        // (The mark holds the rollback count, so a rollback since the last read also reads again.)
        if loaded, db.inTransaction, caughtUpIn == db.transactionMark { return }
        caughtUpIn = nil
        if !loaded || db.rollbacks != rollbacksSeen {
            entries.removeAll(keepingCapacity: true)
            cursor = 0
            loaded = true
            rollbacksSeen = db.rollbacks
        }
        let statement = try db.prepared(Self.selectSince)
        defer { statement.reset() }
        try statement.bind([.integer(cursor)])
        logReads += 1
        do {
            while try statement.step() {
                guard let seq = statement.column(0).int.map(Int64.init), let recordID = statement.column(1).string else { continue }
                apply(recordID, seq: seq)
            }
        } catch {
            loaded = false
            throw error
        }
        if db.inTransaction { caughtUpIn = db.transactionMark }
    }

    /// Appends one miss for `recordID` to the log and counts it. Call inside the transaction whose
    /// `catchUp` ran first.
    func appendMiss(_ recordID: String, now: Double, on db: SQLiteConnection) throws {
        try db.run(Self.append, [.text(recordID), .real(now)])
        apply(recordID, seq: db.lastInsertRowID)
    }

    private func apply(_ recordID: String, seq: Int64) {
        func count(_ entry: inout Entry) {
            entry.failures += 1
            entry.lastSeq = seq
        }
        count(&entries[recordID.hashValue, default: Entry(failures: 0, lastSeq: seq)])
        cursor = max(cursor, seq)
    }

    /// Forgets every count whose rows all lie before `firstKeptSeq` (the purge removed them). A
    /// walk over every entry, so only when the log's start has moved since the last one.
    func forget(before firstKeptSeq: Int64) {
        guard firstKeptSeq > forgottenBefore else { return }
        forgottenBefore = firstKeptSeq
        entries = entries.filter { $0.value.lastSeq >= firstKeptSeq }
    }

    /// A savepoint holding appends counted here was rolled back: re-read the log at the next
    /// `catchUp`.
    func invalidate() {
        loaded = false
    }
}
