import Contracts
import CSQLite

/// The embedded store: one SQLite file in WAL mode. Every protocol method is one `BEGIN IMMEDIATE`
/// transaction on this connection, which belongs to the store's worker thread, or a part of a
/// group-commit batch's transaction (`runBatch`, SQLiteStore+Batch.swift).
final class SQLiteStore: CodeStore {
    let kind = "sqlite"
    let db: SQLiteConnection
    /// Runs the WAL checkpoints off the writer thread (WALCheckpointer.swift); nil for `:memory:`.
    let checkpointer: WALCheckpointer?
    /// Wrong guesses made since migration 4, counted in memory in front of `attempt_log`.
    let attempts = AttemptLedger()
    /// The live Generic records in memory (GenericRecordCache.swift).
    let genericRecords = GenericRecordCache()

    /// Opens the store at `path`. Unless `shared`, this process holds the file exclusively while the
    /// store is open (`exclusiveVFS`); `shared` lets other processes open it too.
    init(path: String, cacheMiB: Int = SQLiteStore.defaultCacheMiB, busyTimeoutMilliseconds: Int32 = 5000,
         shared: Bool = false) throws {
        let inMemory = path.isEmpty || path == ":memory:"
        let vfs = shared || inMemory ? nil : Self.exclusiveVFS
        db = try SQLiteConnection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds, vfs: vfs)
        // WAL lets readers run beside the writer and survives a killed process: a committed
        // transaction is in the WAL file. synchronous=NORMAL keeps that guarantee against process
        // crashes (SIGKILL); only an OS crash or power loss can drop the last commits
        // (sqlite.org/pragma.html#pragma_synchronous).
        do {
            try db.executeRetryingBusy("PRAGMA journal_mode = WAL", timeout: .milliseconds(Int64(busyTimeoutMilliseconds)))
        } catch let error as SQLiteError where error.primaryCode == SQLITE_BUSY && vfs != nil {
            // The first read takes the process-wide lock; another process has the file open.
            throw SQLiteError(code: error.code, message: "\(path) is open in another process (a verifier holds its "
                + "SQLite file for itself unless PASSCODE_SQLITE_SHARED=1)")
        }
        try db.execute("PRAGMA synchronous = NORMAL")
        try db.execute("PRAGMA cache_size = -\(cacheMiB * 1024)")
        // Temporary storage in memory: a group-commit batch in which a job failed runs again with
        // each job in a savepoint, and the savepoints' sub-journal spilled past 64 KiB to a
        // temporary file that SQLite created and unlinked again (about 17 times a second under
        // send+verify when every batch used savepoints, seen with strace).
        try db.execute("PRAGMA temp_store = MEMORY")
        try Self.migrate(db)
        // Read the log now rather than on the first verify.
        try attempts.catchUp(db)
        if inMemory {
            checkpointer = nil
        } else {
            let checkpointer = try WALCheckpointer(path: path, vfs: vfs)
            checkpointer.attach(to: db)
            self.checkpointer = checkpointer
        }
    }

    deinit {
        // The hook points at the checkpointer: detach it first. Closing `db` afterwards (the last
        // connection) checkpoints what is left and removes the WAL file.
        db.setWALHook(nil, nil)
        checkpointer?.stop()
    }

    /// The VFS of the store's connections unless the store is opened `shared`: SQLite's "unix-excl"
    /// (sqlite.org/vfs.html). On the first read it takes a lock on the whole file for this process
    /// and holds it until the last connection closes; connections within the process (the
    /// writer and the checkpointer) share the file as before, and keep the WAL index in this
    /// process's memory instead of the mapped `-shm` file, so its locks are a mutex rather than
    /// `fcntl` calls. Another process cannot open the file meanwhile, and the store cannot open
    /// while another process has it open: an idle WAL connection holds a shared lock on the file
    /// for as long as it is open, so no process can keep a stale WAL index across this one's life.
    ///
    /// What it bought (issue 7): the "unix" VFS made six `fcntl` calls on the `-shm` file per write
    /// transaction (the WAL write lock, a read lock, and the read mark, each taken and released),
    /// about one per wrong guess at 16 connections, where group-commit batches are small. Verify-miss
    /// at 16 connections, with and without `shared`, alternating 5–6 s rounds on fresh stores: 13
    /// pairs, median +5% throughput (−8% to +16%), CPU per guess of the three processes −7%; at 64
    /// connections, where batches are larger, +3% (5 pairs); at 1,000,000 records, no difference.
    static let exclusiveVFS = "unix-excl"

    /// The page cache's ceiling in MiB (`PASSCODE_SQLITE_CACHE_MIB`), set as a negative
    /// `cache_size` in KiB (sqlite.org/pragma.html#pragma_cache_size). Pages are cached as they are
    /// read, so a store smaller than this never reaches it, and a fresh verifier holds none.
    ///
    /// 128 MiB holds most of the Generic verify index (`code_records_generic`, about 120 bytes a
    /// record, 115 MiB at 1,000,000 records) once the guesses have touched it, instead of reading a
    /// random leaf from the OS cache on nearly every guess. What it bought is small (issue 7): with
    /// verifiers restarted on two copies of one 1,000,000-record store, alternating 5 s rounds at
    /// c=64, 39–44 µs of verifier CPU per wrong guess against 41–48 µs at 8 MiB (ahead in 5 of 6
    /// rounds, about +5% throughput); in bench's scaling scenario, where the measured verifier
    /// wrote the records itself, 8, 128 and 256 MiB gave the same 1,000,000-vs-1,000 ratio
    /// (medians of 5 rounds 0.87–0.91×). Most of what a guess costs more among a million records
    /// is memory latency: a four-level index descent, SQLite's page-cache hash and the attempt
    /// ledger's table over a working set far larger than the CPU caches. The price is RSS: the
    /// verifier holds about 200 MiB after a million records have been written (27 MiB at 8 MiB).
    ///
    /// Not `mmap_size`: the mapped pages count in RSS all the same, and a read I/O error becomes
    /// SIGBUS (sqlite.org/mmap.html).
    ///
    /// Since session 14 a Generic verify is answered from `genericRecords` and reads the index only
    /// for a record not yet held there (the first verify after a restart); sends still read and
    /// write it, so the ceiling stays.
    static let defaultCacheMiB = 128

    func ping() throws {
        try db.run("SELECT 1")
    }

    // MARK: Interactions

    func createInteraction(id: String, event: InteractionEvent, expiresAt: Double, now: Double) throws {
        try db.immediateTransaction {
            try db.run("INSERT INTO interactions (id, event, created_at, expires_at) VALUES (?, ?, ?, ?)",
                       [.text(id), .text(event.rawValue), .real(now), .real(expiresAt)])
        }
    }

    func resetInteraction(id: String, event: InteractionEvent, expiresAt: Double, now: Double) throws -> Bool {
        try db.immediateTransaction {
            let changed = try db.run("UPDATE interactions SET event = ?, expires_at = ? WHERE id = ? AND expires_at > ?",
                                     [.text(event.rawValue), .real(expiresAt), .text(id), .real(now)])
            guard changed > 0 else { return false }
            try db.run("DELETE FROM code_records WHERE interaction_id = ?", [.text(id)])
            return true
        }
    }

    func interaction(id: String, now: Double) throws -> InteractionView? {
        try db.immediateTransaction {
            guard let row = try db.rows("SELECT event, expires_at FROM interactions WHERE id = ? AND expires_at > ?",
                                        [.text(id), .real(now)]).first,
                  let event = row[0].string.flatMap(InteractionEvent.init(rawValue:)),
                  let expiresAt = row[1].double else { return nil }
            let records = try db.rows(Self.selectInteractionRecords, [.text(id)])
                .compactMap(Self.record(from:))
            let views = records.map {
                VerificationRecordView(id: $0.id, type: $0.viewType, identifier: $0.identifier,
                                       templateType: $0.templateType, verified: $0.consumed)
            }
            return InteractionView(interactionEvent: event, expiresAt: expiresAt, verificationRecords: views)
        }
    }

    private func interactionIsLive(_ id: String, now: Double) throws -> Bool {
        try db.scalar("SELECT 1 FROM interactions WHERE id = ? AND expires_at > ?", [.text(id), .real(now)]) != nil
    }

    // MARK: Issue

    func issue(_ request: IssueRequest, now: Double) throws -> IssueOutcome {
        try db.immediateTransaction {
            if case .interaction(let interactionID) = request.scope, try !interactionIsLive(interactionID, now: now) {
                return .interactionNotFound
            }
            let policy = request.policy
            if let wait = try windowWait(bucket: request.recipientBucket, limit: policy.recipientLimit,
                                         window: policy.recipientWindow, now: now) {
                return .recipientLimited(retryAfter: wait)
            }
            if let client = request.clientBucket,
               let wait = try windowWait(bucket: client, limit: policy.clientLimit, window: policy.clientWindow, now: now) {
                return .clientLimited(retryAfter: wait)
            }
            if policy.cooldown > 0,
               let last = try db.scalar("SELECT MAX(sent_at) FROM send_slots WHERE bucket = ?", [.text(request.recipientBucket)])?.double,
               last + policy.cooldown > now {
                return .coolingDown(retryAfter: last + policy.cooldown - now)
            }

            for bucket in [request.recipientBucket, request.clientBucket].compactMap({ $0 }) {
                try db.run("INSERT INTO send_slots (bucket, sent_at, verification_id) VALUES (?, ?, ?)",
                           [.text(bucket), .real(now), .text(request.recordID)])
            }
            let interactionID: SQLiteValue
            switch request.scope {
            case .generic:
                // Only the latest Generic code of an identifier works (API.md §2.1).
                try db.run("DELETE FROM code_records WHERE interaction_id IS NULL AND identifier_type = ? AND identifier_value = ?",
                           [.text(request.identifier.type.rawValue), .text(request.identifier.value)])
                interactionID = .null
            case .interaction(let id):
                // One record per identifier type per interaction; the old id now gives 404 (§3.1).
                try db.run("DELETE FROM code_records WHERE interaction_id = ? AND identifier_type = ?",
                           [.text(id), .text(request.identifier.type.rawValue)])
                interactionID = .text(id)
            }
            try db.run("""
                INSERT INTO code_records (id, interaction_id, identifier_type, identifier_value, template_type,
                                          code_hash, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(request.recordID), interactionID, .text(request.identifier.type.rawValue),
                 .text(request.identifier.value), .text(request.templateType.rawValue), .blob(request.codeHash),
                 .real(now), .real(request.expiresAt)])
            if case .generic = request.scope {
                try genericRecords.check(db)
                genericRecords.put(CodeRecord(id: request.recordID, interactionID: nil, identifier: request.identifier,
                                     templateType: request.templateType, codeHash: request.codeHash,
                                     expiresAt: request.expiresAt, attempts: 0, consumed: false))
            }
            return .issued
        }
    }

    /// nil if `bucket` has room in its sliding window; otherwise the seconds until enough of the
    /// counted sends have left the window for one more to fit.
    private func windowWait(bucket: String, limit: Int, window: Double, now: Double) throws -> Double? {
        let since = now - window
        let count = try db.scalar("SELECT COUNT(*) FROM send_slots WHERE bucket = ? AND sent_at > ?",
                                  [.text(bucket), .real(since)])?.int ?? 0
        guard count >= limit else { return nil }
        let leaving = try db.scalar("SELECT sent_at FROM send_slots WHERE bucket = ? AND sent_at > ? ORDER BY sent_at LIMIT 1 OFFSET ?",
                                    [.text(bucket), .real(since), .integer(Int64(count - limit))])?.double ?? now
        return max(0, leaving + window - now)
    }

    func releaseSlots(verificationId: String, now: Double) throws {
        try db.immediateTransaction {
            try db.run("DELETE FROM send_slots WHERE verification_id = ?", [.text(verificationId)])
        }
    }

    // MARK: Verify

    func verifyGeneric(identifier: Identifier, codeIsEmpty: Bool, policy: VerifyPolicy, now: Double,
                       candidates: (_ recordID: String) -> [[UInt8]]) throws -> (outcome: VerifyOutcome, recordID: String?) {
        // One transaction for the lookup and the attempt (profile finding 3): nothing can replace
        // the record in between, and the store is visited once.
        try db.immediateTransaction {
            guard let record = try liveGenericRecord(identifier) else { return (.codeNotFound, nil) }
            let attempt = VerifyAttempt(target: .generic(recordID: record.id), identifier: identifier, codeIsEmpty: codeIsEmpty,
                                        candidateHashes: codeIsEmpty ? [] : candidates(record.id), policy: policy)
            let (outcome, effect) = record.judge(attempt, now: now)
            try apply(effect, to: record, now: now)
            return (outcome, record.id)
        }
    }

    func verify(_ attempt: VerifyAttempt, now: Double) throws -> VerifyOutcome {
        try db.immediateTransaction {
            switch attempt.target {
            case .generic(let recordID):
                let record = try record(Self.selectGenericRecord, [.text(recordID)])
                guard let record else { return .codeNotFound }
                let (outcome, effect) = record.judge(attempt, now: now)
                try apply(effect, to: record, now: now)
                return outcome

            case .interaction(let interactionID, let verificationID):
                guard try interactionIsLive(interactionID, now: now) else { return .interactionNotFound }
                let key = attempt.lockoutKey
                if let until = try db.scalar("SELECT locked_until FROM lockouts WHERE identifier = ?", [.text(key)])?.double,
                   until > now {
                    return .blocked
                }
                let record = try record(Self.selectInteractionRecord, [.text(interactionID), .text(attempt.identifier.type.rawValue)])
                guard let record, record.id == verificationID else { return .verificationNotFound }
                let (outcome, effect) = record.judge(attempt, now: now)
                try apply(effect, to: record, now: now)
                if outcome.countsAsFailure, try countFailure(key: key, policy: attempt.policy, now: now) {
                    return .blocked
                }
                return outcome
            }
        }
    }

    /// The first record `query` finds, with every attempt counted: those in its row (made before
    /// migration 4, with migration 3's `attempt_counts` folded in by migration 6) and those in the log.
    private func record(_ query: String, _ values: [SQLiteValue]) throws -> CodeRecord? {
        try db.firstRow(query, values, Self.record(from:)).map(counted)
    }

    /// `record` with the misses in the attempt log added to its own count.
    private func counted(_ record: CodeRecord) throws -> CodeRecord {
        var record = record
        try attempts.catchUp(db)
        record.attempts += attempts.failures(of: record.id)
        return record
    }

    /// `identifier`'s live Generic record, from memory when held there, else from the store (and
    /// then held).
    private func liveGenericRecord(_ identifier: Identifier) throws -> CodeRecord? {
        try genericRecords.check(db)
        if let held = genericRecords.record(of: identifier) { return try counted(held) }
        guard let stored = try db.firstRow(Self.selectLiveGenericRecord, [.text(identifier.type.rawValue), .text(identifier.value)],
                                           Self.record(from:)) else { return nil }
        genericRecords.put(stored)
        return try counted(stored)
    }

    /// A used Generic code is deleted, not marked: nothing reads it again (a second verify answers
    /// `not_found` either way, and the next send for the identifier would delete it). Marking it
    /// rewrote its entry in `code_records_generic` (`consumed` is in that index's key), added it to
    /// `code_records_consumed`, and left the row for the next send or the purge to delete: all
    /// writes of pages. Measured (issue 7, send+verify at c=16, 4 alternating rounds): 20 instead
    /// of 40 KiB written per code, +20% flows/s, −15% CPU per flow. An interaction's record stays,
    /// marked: the interaction lists it as verified (API.md §3).
    private func apply(_ effect: CodeRecord.Effect, to record: CodeRecord, now: Double) throws {
        switch effect {
        case .none: break
        case .countAttempt: try attempts.appendMiss(record.id, now: now, on: db)
        case .consume where record.interactionID == nil:
            try db.run("DELETE FROM code_records WHERE id = ?", [.text(record.id)])
            try genericRecords.check(db)
            genericRecords.remove(record.identifier)
        case .consume: try db.run("UPDATE code_records SET consumed = 1 WHERE id = ?", [.text(record.id)])
        }
    }

    /// Records one failed verify of `key`; true when it reaches the limit within the window, which
    /// locks the identifier (API.md §5.2). The failure log restarts with the lock, so the first
    /// failure after the lock ends does not lock again at once.
    private func countFailure(key: String, policy: VerifyPolicy, now: Double) throws -> Bool {
        try db.run("INSERT INTO verify_failures (identifier, failed_at) VALUES (?, ?)", [.text(key), .real(now)])
        let count = try db.scalar("SELECT COUNT(*) FROM verify_failures WHERE identifier = ? AND failed_at > ?",
                                  [.text(key), .real(now - policy.lockoutWindow)])?.int ?? 0
        guard count >= policy.lockoutAttempts else { return false }
        try db.run("INSERT INTO lockouts (identifier, locked_until) VALUES (?, ?) ON CONFLICT (identifier) DO UPDATE SET locked_until = excluded.locked_until",
                   [.text(key), .real(now + policy.lockoutDuration)])
        try db.run("DELETE FROM verify_failures WHERE identifier = ?", [.text(key)])
        return true
    }

    // MARK: Purge

    /// One bounded batch: each step deletes through an index range (never a scan of a whole table)
    /// at most what is left of `limit`, so one batch is one short transaction and verifies queued
    /// behind it wait milliseconds, not the seconds a million-row purge takes.
    func purgeExpired(_ policy: PurgePolicy, now: Double, limit: Int) throws -> PurgeBatch {
        try db.immediateTransaction {
            let limit = max(1, limit)
            var removed = 0
            var left: SQLiteValue { .integer(Int64(limit - removed)) }
            // Two range deletes rather than one `consumed = 1 OR expires_at < ?`, which SQLite can
            // only answer by walking all of `code_records_expiry`.
            removed += try deleteGenericRecords("""
                DELETE FROM code_records WHERE id IN (SELECT id FROM code_records
                    WHERE interaction_id IS NULL AND expires_at < ? LIMIT ?)
                """, [.real(now - policy.expiredRecordGrace), left])
            guard removed < limit else { return PurgeBatch(removed: removed, finished: false) }
            // Used Generic codes are deleted when used (`apply`); this finds those marked by
            // versions before that, through `code_records_consumed`, which nothing adds to now.
            removed += try deleteGenericRecords("""
                DELETE FROM code_records WHERE id IN (SELECT id FROM code_records
                    WHERE interaction_id IS NULL AND consumed = 1 LIMIT ?)
                """, [left])
            guard removed < limit else { return PurgeBatch(removed: removed, finished: false) }
            // The same expired interactions twice in one transaction: their records, then them.
            let expired = "SELECT id FROM interactions WHERE expires_at <= ? ORDER BY expires_at, id LIMIT ?"
            let interactions = try db.rows(expired, [.real(now), left]).compactMap { $0.first }
            for id in interactions {
                removed += try db.run("DELETE FROM code_records WHERE interaction_id = ?", [id])
                removed += try db.run("DELETE FROM interactions WHERE id = ?", [id])
            }
            guard removed < limit else { return PurgeBatch(removed: removed, finished: false) }
            removed += try db.run("DELETE FROM send_slots WHERE id IN (SELECT id FROM send_slots WHERE sent_at <= ? LIMIT ?)",
                                  [.real(now - policy.sendRetention), left])
            guard removed < limit else { return PurgeBatch(removed: removed, finished: false) }
            removed += try db.run("""
                DELETE FROM verify_failures WHERE id IN (SELECT id FROM verify_failures WHERE failed_at <= ? LIMIT ?)
                """, [.real(now - policy.failureRetention), left])
            guard removed < limit else { return PurgeBatch(removed: removed, finished: false) }
            removed += try purgeAttemptLog(before: now - AttemptLedger.retention, limit: limit - removed)
            guard removed < limit else { return PurgeBatch(removed: removed, finished: false) }
            let lockouts = try db.run("""
                DELETE FROM lockouts WHERE identifier IN (SELECT identifier FROM lockouts WHERE locked_until <= ? LIMIT ?)
                """, [.real(now), left])
            let lockoutsLeft = limit - removed
            removed += lockouts
            // Every step stopped short of its allowance, so nothing expired as of `now` is left.
            return PurgeBatch(removed: removed, finished: lockouts < lockoutsLeft)
        }
    }

    /// Runs a `DELETE` of Generic records and drops them from memory too; the number deleted.
    private func deleteGenericRecords(_ delete: String, _ values: [SQLiteValue]) throws -> Int {
        try genericRecords.check(db)
        let rows = try db.rows(delete + " RETURNING identifier_type, identifier_value", values)
        for row in rows {
            guard let type = row[0].string.flatMap(IdentifierType.init(rawValue:)), let value = row[1].string else {
                // Not a row this build wrote: hold nothing rather than guess.
                genericRecords.clear()
                continue
            }
            genericRecords.remove(Identifier(type: type, value: value))
        }
        return rows.count
    }

    /// Deletes up to `limit` of the oldest log rows made before `cutoff`, never the newest row (its
    /// `seq` keeps the next append numbered past every ledger's cursor). The rows are in time order,
    /// so the oldest `limit` are read and those before the first younger one go: a batch costs
    /// `limit` steps however long the log. Once no more can go, the ledger forgets the counts
    /// whose rows are all gone (here or by another verifier's purge).
    private func purgeAttemptLog(before cutoff: Double, limit: Int) throws -> Int {
        guard let newest = try db.scalar("SELECT MAX(seq) FROM attempt_log")?.int else { return 0 }
        var last: Int?
        for row in try db.rows("SELECT seq, failed_at FROM attempt_log ORDER BY seq LIMIT ?", [.integer(Int64(limit))]) {
            guard let seq = row[0].int, seq < newest, let failedAt = row[1].double, failedAt < cutoff else { break }
            last = seq
        }
        let removed = try last.map { try db.run("DELETE FROM attempt_log WHERE seq <= ?", [.integer(Int64($0))]) } ?? 0
        if removed < limit, let first = try db.scalar("SELECT MIN(seq) FROM attempt_log")?.int {
            attempts.forget(before: Int64(first))
        }
        return removed
    }

    // MARK: Rows

    static let selectRecord = """
        SELECT id, interaction_id, identifier_type, identifier_value, template_type, code_hash, expires_at, attempts, consumed
        FROM code_records
        """
    // The queries built on it, once (not concatenated on every call).
    static let selectLiveGenericRecord = selectRecord + """
         WHERE interaction_id IS NULL AND identifier_type = ? AND identifier_value = ? AND consumed = 0
        """
    static let selectGenericRecord = selectRecord + " WHERE id = ? AND interaction_id IS NULL"
    static let selectInteractionRecord = selectRecord + " WHERE interaction_id = ? AND identifier_type = ?"
    static let selectInteractionRecords = selectRecord + " WHERE interaction_id = ? ORDER BY identifier_type"

    static func record(from row: [SQLiteValue]) -> CodeRecord? {
        guard row.count == 9 else { return nil }
        return record { row[Int($0)] }
    }

    /// The record at the statement's current row (the columns of `selectRecord`).
    static func record(from statement: SQLiteStatement) -> CodeRecord? {
        guard statement.columnCount == 9 else { return nil }
        return record(column: statement.column)
    }

    private static func record(column: (Int32) -> SQLiteValue) -> CodeRecord? {
        guard let id = column(0).string,
              let type = column(2).string.flatMap(IdentifierType.init(rawValue:)), let value = column(3).string,
              let template = column(4).string.flatMap(TemplateType.init(rawValue:)), let hash = column(5).bytes,
              let expiresAt = column(6).double, let attempts = column(7).int, let consumed = column(8).int else { return nil }
        return CodeRecord(id: id, interactionID: column(1).string, identifier: Identifier(type: type, value: value),
                          templateType: template, codeHash: hash, expiresAt: expiresAt, attempts: attempts,
                          consumed: consumed != 0)
    }
}
