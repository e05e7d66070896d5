import Foundation
import Testing
@testable import VerifierService

/// The statement cache hashes SQL by samples (`StatementKey`); statements that share every
/// sample must still be told apart by their whole text.
@Suite struct StatementCacheTests {
    @Test func statementsAlikeInEverySampledByteStayApart() throws {
        let db = try SQLiteConnection(path: ":memory:", busyTimeoutMilliseconds: 100)
        // Same length, same first, middle and last 8 bytes; only the bytes in between differ.
        let a = "SELECT 'aaaaaaaaaaaaaaaaaaaaaaaaa'  , 'same-middle-same' , 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbb'"
        let b = "SELECT 'aaaaaaaaaaaaaaaaaaaaaaaaX'  , 'same-middle-same' , 'Ybbbbbbbbbbbbbbbbbbbbbbbbbbbb'"
        #expect(a.utf8.count == b.utf8.count)
        #expect(StatementKey(sql: a).hashValue == StatementKey(sql: b).hashValue)
        #expect(StatementKey(sql: a) != StatementKey(sql: b))
        for _ in 0..<3 {
            #expect(try db.rows(a).first?.first?.string == "aaaaaaaaaaaaaaaaaaaaaaaaa")
            #expect(try db.rows(b).first?.first?.string == "aaaaaaaaaaaaaaaaaaaaaaaaX")
        }
        #expect(Set(db.preparedSQL) == [a, b])
    }

    @Test func shortAndDynamicTextIsFoundAgain() throws {
        let db = try SQLiteConnection(path: ":memory:", busyTimeoutMilliseconds: 100)
        for n in 0..<3 {
            #expect(try db.scalar("SELECT 1")?.int == 1)
            #expect(try db.scalar("SELECT 2")?.int == 2)
            // Built at run time (another String object each time): still one cached statement.
            let built = "SELECT " + String(40 + 2) + " + ?"
            #expect(try db.scalar(built, [.integer(Int64(n))])?.int == 42 + n)
        }
        #expect(db.preparedSQL.count == 3)
    }
}
