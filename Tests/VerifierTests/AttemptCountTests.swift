import Contracts
import Foundation
import Testing
@testable import VerifierService

/// Issue 7: the SQLite store appends each wrong guess to `attempt_log` (migration 4) and counts the
/// guesses per record in memory (`AttemptLedger`), so a miss writes to the log's last page instead of
/// a page of its own among a million records. Counts made before (in `code_records.attempts`, and in
/// `attempt_counts` from migration 3, folded into `code_records.attempts` by migration 6) still count.
@Suite struct AttemptCountTests {
    @Test func aWrongGuessIsAppendedToTheLog() async throws {
        try await withFixture(.sqlite, config: Fixture.config { $0.maxAttempts = 3 }) { f in
            let issued = try await f.generic(email: "a@x.com")
            for _ in 0..<2 {
                await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code)) }
            }
            #expect(try await f.sqliteScalar("SELECT attempts FROM code_records WHERE id = '\(issued.verificationId)'") == 0)
            #expect(try await f.sqliteScalar("SELECT COUNT(*) FROM attempt_log WHERE record_id = '\(issued.verificationId)'") == 2)
            #expect(try await f.sqliteScalar("SELECT MAX(seq) - MIN(seq) FROM attempt_log") == 1)
            // The cap counts the log: the third miss is the last one allowed.
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code)) }
            await expectFailure("verification_code.exceed_max_try") { try await f.verifyGeneric(.email("a@x.com"), issued.code) }
        }
    }

    /// A store migrated from schema 2 to 5 keeps the counts it made in `code_records.attempts`: they
    /// add up with the log, so an upgrade never hands an attacker fresh guesses.
    @Test func countsMadeBeforeTheMigrationsStillCount() async throws {
        try await withFixture(.sqlite, config: Fixture.config { $0.maxAttempts = 4 }) { f in
            let generic = try await f.generic(email: "a@x.com")
            let i = try await f.startInteraction()
            let scoped = try await f.issue(in: i, .email("b@x.com"))
            try await f.sqliteExecute("UPDATE code_records SET attempts = 3")
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(generic.code)) }
            await expectFailure("verification_code.exceed_max_try") { try await f.verifyGeneric(.email("a@x.com"), generic.code) }
            await expectFailure("verification_code.code_mismatch") {
                try await f.verify(in: i, .email("b@x.com"), id: scoped.verificationId, code: wrong(scoped.code))
            }
            await expectFailure("verification_code.exceed_max_try") {
                try await f.verify(in: i, .email("b@x.com"), id: scoped.verificationId, code: scoped.code)
            }
        }
    }

    /// From each older schema: the records and their counts arrive, migration 3's `attempt_counts`
    /// folded into the records' own column (another record's count stays its own), the table left
    /// empty and its trigger gone.
    @Test(arguments: [2, 3, 5])
    func anOlderStoreMigratesWithItsRecordsAndCounts(version: Int) throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/passcode.sqlite"
        do {
            let old = try SQLiteConnection(path: path, busyTimeoutMilliseconds: 1000)
            try old.execute("PRAGMA journal_mode = WAL")
            for migration in SQLiteStore.migrations.prefix(version) { try old.execute(migration) }
            try old.execute("PRAGMA user_version = \(version)")
            for (id, value, attempts) in [("r1", "a@x.com", 4), ("r2", "b@x.com", 1)] {
                try old.execute("""
                    INSERT INTO code_records (id, identifier_type, identifier_value, template_type, code_hash, created_at, expires_at, attempts)
                    VALUES ('\(id)', 'email', '\(value)', 'Generic', x'00', 0, 4000000000, \(attempts))
                    """)
            }
            if version >= 3 { try old.execute("INSERT INTO attempt_counts (record_id, failures) VALUES ('r1', 3)") }
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.db.scalar("PRAGMA user_version")?.int == SQLiteStore.migrations.count)
        func attempts(_ id: String) throws -> Int? {
            try store.db.rows(SQLiteStore.selectRecord + " WHERE id = '\(id)'").first.flatMap(SQLiteStore.record(from:))?.attempts
        }
        #expect(try attempts("r1") == (version >= 3 ? 7 : 4))
        #expect(try attempts("r2") == 1)
        #expect(try store.db.scalar("SELECT COUNT(*) FROM attempt_log")?.int == 0)
        #expect(try store.db.scalar("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'code_records_drop_attempts'")?.int == 0)
        if version >= 3 { #expect(try store.db.scalar("SELECT COUNT(*) FROM attempt_counts")?.int == 0) }
    }

    /// During an upgrade a verifier of schema 5 may still share the file: its record query, which
    /// reads `attempt_counts`, still runs after migration 6 and counts what the records hold.
    @Test func thePreviousSchemasRecordQueryStillRunsAfterMigrationSix() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/passcode.sqlite"
        let store = try SQLiteStore(path: path)
        try store.db.execute("""
            INSERT INTO code_records (id, identifier_type, identifier_value, template_type, code_hash, created_at, expires_at, attempts)
            VALUES ('r1', 'email', 'a@x.com', 'Generic', x'00', 0, 4000000000, 2)
            """)
        let previous = try SQLiteConnection(path: path, busyTimeoutMilliseconds: 1000)
        let attempts = try previous.scalar("""
            SELECT attempts + coalesce((SELECT failures FROM attempt_counts WHERE record_id = code_records.id), 0)
            FROM code_records WHERE id = 'r1'
            """)?.int
        #expect(attempts == 2)
        try previous.execute("DELETE FROM code_records WHERE id = 'r1'")
        #expect(try store.db.scalar("SELECT COUNT(*) FROM code_records")?.int == 0)
    }

    /// A replaced record's misses do not follow its identifier: the new code has a fresh budget.
    @Test func aNewCodeStartsWithNoMisses() async throws {
        try await withFixture(.sqlite, config: Fixture.config { $0.maxAttempts = 2 }) { f in
            let first = try await f.generic(email: "a@x.com")
            for _ in 0..<2 {
                await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(first.code)) }
            }
            await expectFailure("verification_code.exceed_max_try") { try await f.verifyGeneric(.email("a@x.com"), first.code) }
            let second = try await f.generic(email: "a@x.com")
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(second.code)) }
            _ = try await f.verifyGeneric(.email("a@x.com"), second.code)
        }
    }

    /// A miss stays in the log as long as the longest-lived code can be live (the largest
    /// `PASSCODE_CODE_TTL`): a purge before then keeps it counted.
    @Test func thePurgeKeepsMissesWhileTheirCodeCanBeLive() async throws {
        let config = Fixture.config { $0.maxAttempts = 2; $0.codeTTL = VerifierConfig.codeTTLRange.upperBound }
        try await withFixture(.sqlite, config: config) { f in
            let issued = try await f.generic(email: "a@x.com")
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code)) }
            _ = try await f.generic(email: "b@x.com")  // another record with a newer miss, so the first is not the newest row
            let other = try await f.generic(email: "c@x.com")
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("c@x.com"), wrong(other.code)) }
            f.clock.advance(AttemptLedger.retention - 2)
            _ = try await f.verifier.purgeExpired()
            #expect(try await f.sqliteScalar("SELECT COUNT(*) FROM attempt_log") == 2)
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code)) }
            await expectFailure("verification_code.exceed_max_try") { try await f.verifyGeneric(.email("a@x.com"), issued.code) }
        }
    }

    /// Past that, the purge removes misses oldest first, a bounded batch at a time, and forgets their
    /// counts, but never the newest row: the next miss is numbered past every row any verifier has
    /// seen, so a verifier sharing the file cannot skip it.
    @Test func thePurgeRemovesOldMissesButNeverTheNewestRow() async throws {
        try await withFixture(.sqlite) { f in
            let issued = try await f.generic(email: "a@x.com")
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code)) }
            let now = f.clock.now
            // 2,500 older misses on other records, then the purge with a batch of 1,000.
            try await f.sqliteExecute("""
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
                INSERT INTO attempt_log (record_id, failed_at) SELECT 'old' || i, \(now) FROM n
                """)
            let newest = try #require(try await f.sqliteScalar("SELECT MAX(seq) FROM attempt_log"))
            try await f.verifier.worker.perform { store in
                guard let sqlite = store as? SQLiteStore else { throw SQLiteError(code: 1, message: "not the SQLite store") }
                try sqlite.db.run("BEGIN IMMEDIATE")
                try sqlite.attempts.catchUp(sqlite.db)
                try sqlite.db.run("COMMIT")
                #expect(sqlite.attempts.count == 2501)
            }
            f.clock.advance(AttemptLedger.retention + 1)
            let policy = VerifierConfig().purgePolicy
            let later = f.clock.now
            let batches = try await f.verifier.worker.perform { store -> [Int] in
                var removed: [Int] = []
                var finished = false
                while !finished {
                    let batch = try store.purgeExpired(policy, now: later, limit: 1000)
                    removed.append(batch.removed)
                    finished = batch.finished
                }
                return removed
            }
            #expect(batches.count >= 3)
            #expect(batches.allSatisfy { $0 <= 1000 })
            #expect(try await f.sqliteScalar("SELECT COUNT(*) FROM attempt_log") == 1)
            #expect(try await f.sqliteScalar("SELECT MAX(seq) FROM attempt_log") == newest)
            try await f.verifier.worker.perform { store in
                let sqlite = try #require(store as? SQLiteStore)
                #expect(sqlite.attempts.count == 1)  // the newest row's count
            }
            let fresh = try await f.generic(email: "b@x.com")
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("b@x.com"), wrong(fresh.code)) }
            #expect(try await f.sqliteScalar("SELECT MAX(seq) FROM attempt_log") == newest + 1)
        }
    }
}
