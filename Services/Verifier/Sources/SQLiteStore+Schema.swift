/// Schema migrations, versioned in code through `PRAGMA user_version`: migration `i` takes the
/// database from version `i` to `i + 1`. Append only; never edit a shipped migration.
extension SQLiteStore {
    static let migrations: [String] = [
        """
        CREATE TABLE interactions (
            id TEXT PRIMARY KEY,
            event TEXT NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX interactions_expiry ON interactions (expires_at);

        CREATE TABLE code_records (
            id TEXT PRIMARY KEY,
            interaction_id TEXT,
            identifier_type TEXT NOT NULL,
            identifier_value TEXT NOT NULL,
            template_type TEXT NOT NULL,
            code_hash BLOB NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            consumed INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        -- One record per identifier type per interaction (API.md §3.1).
        CREATE UNIQUE INDEX code_records_interaction ON code_records (interaction_id, identifier_type)
            WHERE interaction_id IS NOT NULL;
        -- One current Generic record per exact identifier (API.md §2.1).
        CREATE UNIQUE INDEX code_records_generic ON code_records (identifier_type, identifier_value)
            WHERE interaction_id IS NULL;
        CREATE INDEX code_records_expiry ON code_records (expires_at) WHERE interaction_id IS NULL;

        CREATE TABLE send_slots (
            id INTEGER PRIMARY KEY,
            bucket TEXT NOT NULL,
            sent_at REAL NOT NULL,
            verification_id TEXT NOT NULL
        );
        CREATE INDEX send_slots_bucket ON send_slots (bucket, sent_at);
        CREATE INDEX send_slots_verification ON send_slots (verification_id);
        CREATE INDEX send_slots_age ON send_slots (sent_at);

        CREATE TABLE verify_failures (
            id INTEGER PRIMARY KEY,
            identifier TEXT NOT NULL,
            failed_at REAL NOT NULL
        );
        CREATE INDEX verify_failures_identifier ON verify_failures (identifier, failed_at);
        CREATE INDEX verify_failures_age ON verify_failures (failed_at);

        CREATE TABLE lockouts (
            identifier TEXT PRIMARY KEY,
            locked_until REAL NOT NULL
        ) WITHOUT ROWID;
        """,
        """
        -- The purge finds consumed Generic records and ended lockouts by index range, not by scan.
        CREATE INDEX code_records_consumed ON code_records (id) WHERE interaction_id IS NULL AND consumed = 1;
        CREATE INDEX lockouts_expiry ON lockouts (locked_until);
        """,
        """
        -- Wrong guesses are counted here, apart from the wide code records (issue 7): a miss rewrites
        -- one short row of a small table instead of a page of code_records, so with many live
        -- records the pages a checkpoint writes back stay few and close together. A record's
        -- attempts are code_records.attempts (counts made before this migration) plus its row here.
        CREATE TABLE attempt_counts (
            record_id TEXT PRIMARY KEY,
            failures INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- Whatever removes a record (purge, replacement, interaction reset) removes its count.
        CREATE TRIGGER code_records_drop_attempts AFTER DELETE ON code_records BEGIN
            DELETE FROM attempt_counts WHERE record_id = old.id;
        END;
        """,
        """
        -- Wrong guesses appended in time order (issue 7), no longer counted in place: counting in
        -- attempt_counts still put the misses on a million live records on a million different
        -- pages. Appends all land on the last page; AttemptLedger.swift holds the counts per record
        -- in memory. A record's attempts are code_records.attempts plus attempt_counts.failures
        -- (counts made before this migration) plus its rows here. No index by record: the purge
        -- removes rows by age, from the front.
        CREATE TABLE attempt_log (
            seq INTEGER PRIMARY KEY,
            record_id TEXT NOT NULL,
            failed_at REAL NOT NULL
        );
        """,
        """
        -- Every Generic verify reads its record from this index alone (issue 7): it holds every
        -- column the verify reads, so a lookup among a million records reads one leaf page at random
        -- instead of two (the index's, then the record's). It replaces the unique index of
        -- migration 1; the trigger keeps its rule, one Generic record per exact identifier
        -- (API.md §2.1), which the send path keeps anyway by deleting before it inserts.
        DROP INDEX code_records_generic;
        CREATE INDEX code_records_generic ON code_records (identifier_type, identifier_value, consumed, id,
            template_type, code_hash, expires_at, attempts, interaction_id) WHERE interaction_id IS NULL;
        CREATE TRIGGER code_records_one_generic BEFORE INSERT ON code_records
        WHEN new.interaction_id IS NULL AND EXISTS (SELECT 1 FROM code_records WHERE interaction_id IS NULL
            AND identifier_type = new.identifier_type AND identifier_value = new.identifier_value)
        BEGIN
            SELECT RAISE(ABORT, 'one Generic record per identifier');
        END;
        """,
        """
        -- attempt_counts (migration 3) has not been written since migration 4. Its counts move into
        -- their records' own column, and the trigger that deleted from it after every record
        -- deletion goes (issue 7): it ran a sub-program on each send that replaced a record and each
        -- verify that used one, about 8 µs of the store thread's time apiece. The sum each record
        -- counts is unchanged. The table stays, empty: this build never reads it, and a verifier of
        -- the previous schema still sharing the file during an upgrade reads it (as zero) and never
        -- writes it.
        UPDATE code_records SET attempts = attempts + (SELECT failures FROM attempt_counts WHERE record_id = code_records.id)
            WHERE id IN (SELECT record_id FROM attempt_counts);
        DELETE FROM attempt_counts;
        DROP TRIGGER code_records_drop_attempts;
        """,
    ]

    /// Brings the schema up to date inside one write transaction, so processes opening the same
    /// file together migrate once.
    static func migrate(_ db: SQLiteConnection) throws {
        try db.immediateTransaction {
            let version = try db.scalar("PRAGMA user_version")?.int ?? 0
            guard version <= migrations.count else {
                throw SQLiteError(code: 1, message: "database schema version \(version) is newer than this build's \(migrations.count)")
            }
            for migration in migrations[version...] {
                try db.execute(migration)
            }
            if version < migrations.count {
                try db.execute("PRAGMA user_version = \(migrations.count)")
            }
        }
    }
}
