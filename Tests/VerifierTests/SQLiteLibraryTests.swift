import CSQLite
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
}
