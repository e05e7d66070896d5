import Contracts
import Foundation
import Testing
@testable import VerifierService

/// Issue 7: the SQLite store counts wrong guesses in `attempt_counts`, a narrow table apart from
/// the wide code records, so a miss rewrites a short row of a small table instead of a page of
/// `code_records` (fewer, closer pages for the WAL checkpoints to write back with many live records).
@Suite struct AttemptCountTests {
    @Test func aWrongGuessIsCountedOutsideTheCodeRecord() async throws {
        try await withFixture(.sqlite, config: Fixture.config { $0.maxAttempts = 3 }) { f in
            let issued = try await f.generic(email: "a@x.com")
            for _ in 0..<2 {
                await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code)) }
            }
            #expect(try await column(f, "SELECT attempts FROM code_records WHERE id = '\(issued.verificationId)'") == 0)
            #expect(try await column(f, "SELECT failures FROM attempt_counts WHERE record_id = '\(issued.verificationId)'") == 2)
            // The cap reads the new table: the third miss is the last one allowed.
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code)) }
            await expectFailure("verification_code.exceed_max_try") { try await f.verifyGeneric(.email("a@x.com"), issued.code) }
        }
    }

    /// A store migrated from schema 2 keeps the counts it made in `code_records.attempts`: the two
    /// add up, so an upgrade never hands an attacker fresh guesses.
    @Test func countsMadeBeforeTheMigrationStillCount() async throws {
        try await withFixture(.sqlite, config: Fixture.config { $0.maxAttempts = 3 }) { f in
            let generic = try await f.generic(email: "a@x.com")
            let i = try await f.startInteraction()
            let scoped = try await f.issue(in: i, .email("b@x.com"))
            try await execute(f, "UPDATE code_records SET attempts = 2")
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

    @Test func aVersion2StoreMigratesWithItsRecordsAndCounts() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/passcode.sqlite"
        do {
            let old = try SQLiteConnection(path: path, busyTimeoutMilliseconds: 1000)
            try old.execute("PRAGMA journal_mode = WAL")
            for migration in SQLiteStore.migrations.prefix(2) { try old.execute(migration) }
            try old.execute("PRAGMA user_version = 2")
            try old.execute("""
                INSERT INTO code_records (id, identifier_type, identifier_value, template_type, code_hash, created_at, expires_at, attempts)
                VALUES ('r1', 'email', 'a@x.com', 'Generic', x'00', 0, 4000000000, 4)
                """)
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.db.scalar("PRAGMA user_version")?.int == SQLiteStore.migrations.count)
        let attempts = try store.db.rows(SQLiteStore.selectRecord + " WHERE id = 'r1'").first.flatMap(SQLiteStore.record(from:))?.attempts
        #expect(attempts == 4)
    }

    /// Whatever removes a record removes its count: replacement by a new send, an interaction
    /// reset, the purge. Without the trigger the table would grow with every record ever guessed.
    @Test func removingARecordRemovesItsCount() async throws {
        try await withFixture(.sqlite) { f in
            let first = try await f.generic(email: "a@x.com")
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(first.code)) }
            let second = try await f.generic(email: "a@x.com")  // replaces the first record
            #expect(try await column(f, "SELECT COUNT(*) FROM attempt_counts WHERE record_id = '\(first.verificationId)'") == 0)

            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(second.code)) }
            let i = try await f.startInteraction()
            let scoped = try await f.issue(in: i, .email("b@x.com"))
            await expectFailure("verification_code.code_mismatch") {
                try await f.verify(in: i, .email("b@x.com"), id: scoped.verificationId, code: wrong(scoped.code))
            }
            #expect(try await column(f, "SELECT COUNT(*) FROM attempt_counts") == 2)
            _ = try await f.verifier.resetInteraction(.init(interactionId: i, event: .register))
            #expect(try await column(f, "SELECT COUNT(*) FROM attempt_counts") == 1)

            // Expired Generic records stay a day (to answer `expired`, API.md §4) before the purge.
            f.clock.advance(PurgePolicy.defaultExpiredRecordGrace + 3600)
            _ = try await f.verifier.purgeExpired()
            #expect(try await column(f, "SELECT COUNT(*) FROM code_records") == 0)
            #expect(try await column(f, "SELECT COUNT(*) FROM attempt_counts") == 0)
        }
    }
}

private func column(_ f: Fixture, _ query: String) async throws -> Int? {
    try await f.verifier.worker.perform { store in
        guard let sqlite = store as? SQLiteStore else { throw SQLiteError(code: 1, message: "not the SQLite store") }
        return try sqlite.db.scalar(query)?.int
    }
}

private func execute(_ f: Fixture, _ statement: String) async throws {
    try await f.verifier.worker.perform { store in
        guard let sqlite = store as? SQLiteStore else { throw SQLiteError(code: 1, message: "not the SQLite store") }
        try sqlite.db.execute(statement)
    }
}
