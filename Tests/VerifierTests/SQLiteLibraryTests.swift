import ConfigCore
import CryptoCore
import CSQLite
import LogCore
import Foundation
import Testing
@testable import VerifierService

/// Process-wide SQLite settings the store applies before its first connection opens.
@Suite struct SQLiteLibraryTests {
    /// Allocation statistics are off (`SQLITE_CONFIG_MEMSTATUS`): SQLite no longer takes its global
    /// memory mutex on every allocation. The witness is SQLite's own counter, which stays at zero
    /// while a connection allocates; with statistics on it counts every live byte.
    @Test func allocationStatisticsAreOff() throws {
        let db = try SQLiteConnection(path: ":memory:", busyTimeoutMilliseconds: 100)
        #expect(SQLiteConnection.libraryConfigured)
        try db.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, s TEXT)")
        for n in 0..<200 {
            try db.run("INSERT INTO t (n, s) VALUES (?, ?)", [.integer(Int64(n)), .text(String(repeating: "x", count: 500))])
        }
        #expect(try db.scalar("SELECT COUNT(*) FROM t")?.int == 200)
        #expect(sqlite3_memory_used() == 0)
    }

    /// A cached statement used again with fewer values than it has parameters: the missing ones are
    /// NULL, not the previous call's values (bindings are cleared only then).
    @Test func parametersNotGivenAreNullNotLeftOver() throws {
        let db = try SQLiteConnection(path: ":memory:", busyTimeoutMilliseconds: 100)
        let sql = "SELECT ?1, ?2"
        #expect(try db.rows(sql, [.integer(1), .integer(2)]).first?.map(\.int) == [1, 2])
        #expect(try db.rows(sql, [.integer(3), .integer(4)]).first?.map(\.int) == [3, 4])
        let row = try #require(try db.rows(sql, [.integer(5)]).first)
        #expect(row[0].int == 5)
        #expect(row[1] == .null)
    }

    /// `firstRow` reads the first row from the statement and leaves it reset for the next use.
    @Test func firstRowReadsOneRowOrNone() throws {
        let db = try SQLiteConnection(path: ":memory:", busyTimeoutMilliseconds: 100)
        try db.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, s TEXT)")
        try db.run("INSERT INTO t (n, s) VALUES (1, 'one'), (2, 'two')")
        let sql = "SELECT n, s FROM t WHERE n >= ? ORDER BY n"
        #expect(try db.firstRow(sql, [.integer(1)]) { $0.column(1).string } == "one")
        #expect(try db.firstRow(sql, [.integer(2)]) { $0.column(1).string } == "two")
        #expect(try db.firstRow(sql, [.integer(3)]) { $0.column(1).string } == nil)
        #expect(try db.firstRow(sql, [.integer(1)]) { $0.column(0).int } == 1)
    }

    /// `transactionMark` tells transactions apart by the commit and rollback hooks: a `BEGIN
    /// IMMEDIATE` transaction that changes nothing must still count as a commit (SQLite runs the
    /// commit hook for every write transaction), whichever way it was begun.
    @Test func everyImmediateTransactionMovesTheMark() throws {
        let db = try SQLiteConnection(path: ":memory:", busyTimeoutMilliseconds: 100)
        var marks = [db.transactionMark]
        try db.run("BEGIN IMMEDIATE")
        try db.run("COMMIT")
        marks.append(db.transactionMark)
        try db.beginImmediate()
        try db.run("ROLLBACK")
        marks.append(db.transactionMark)
        try db.immediateTransaction { _ = try db.scalar("SELECT 1") }
        marks.append(db.transactionMark)
        #expect(Set(marks.map { "\($0)" }).count == marks.count)
        #expect(db.commits == 2 && db.rollbacks == 1)
    }

    /// `PASSCODE_SQLITE_CACHE_MIB` reaches the store the verifier opens: its connection's page cache
    /// is that many MiB (a negative `cache_size` counts KiB).
    @Test func cacheCeilingComesFromTheConfig() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try VerifierConfig.load(Environment(["PASSCODE_SQLITE_CACHE_MIB": "3"]))
        let verifier = try CodeVerifier(config: config, secrets: ServerSecrets(primary: secretA),
                                        dataDirectory: DataDirectory(path: dir), logger: Logger(service: "verifier-test", level: .error))
        let cacheSize = try await verifier.worker.perform { store in
            try #require(store as? SQLiteStore).db.scalar("PRAGMA cache_size")?.int
        }
        await verifier.shutdown()
        #expect(cacheSize == -3 * 1024)
        let plain = try SQLiteStore(path: dir + "/other.sqlite")
        #expect(try plain.db.scalar("PRAGMA cache_size")?.int == -SQLiteStore.defaultCacheMiB * 1024)
    }
}
