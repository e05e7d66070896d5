import CSQLite
import Contracts
import Foundation
import Testing
@testable import VerifierService

/// Store failures become `service.unavailable` (503) and leave no partial record (issue 3, "Bad input
/// and faults").
@Suite struct StoreFaultTests {
    @Test func fullDiskIsUnavailableAndLeavesNoPartialRecord() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A database that may not grow past its current size behaves like a full disk (SQLITE_FULL).
        let full = StoreFactory(name: "sqlite-full") { dir in
            let store = try SQLiteStore(path: dir + "/passcode.sqlite")
            let pages = try store.db.scalar("PRAGMA page_count")?.int ?? 0
            try store.db.execute("PRAGMA max_page_count = \(pages)")
            return store
        }
        try await withFixture(full, config: Fixture.config { $0.sendLimit = 100_000 }, directory: dir) { f in
            var refused: (index: Int, error: ServiceError)?
            for n in 0..<5000 {
                do {
                    _ = try await f.generic(email: "user\(n)@example.com")
                } catch let error as ServiceError {
                    refused = (n, error)
                    break
                }
            }
            guard let refused else {
                Issue.record("the size-capped database never filled up")
                return
            }
            #expect(refused.error.code == "service.unavailable")
            #expect(refused.error.status == 503)
            #expect(f.log.lines.contains { $0.contains("store operation failed") })
            // Nothing of the refused issue exists: no record...
            await expectFailure("verification_code.not_found") {
                try await f.verifyGeneric(.email("user\(refused.index)@example.com"), "000000")
            }
            // ...and the service keeps answering what does not need more space.
            let health = await f.verifier.health()
            #expect(health.storeReachable)
        }
    }

    @Test func lockedDatabaseIsUnavailableThenRecovers() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let impatient = StoreFactory(name: "sqlite-impatient") { try SQLiteStore(path: $0 + "/passcode.sqlite", busyTimeoutMilliseconds: 50) }
        try await withFixture(impatient, directory: dir) { f in
            _ = try await f.generic(email: "a@x.com")
            // Another process holding the write lock.
            let other = try SQLiteConnection(path: dir + "/passcode.sqlite", busyTimeoutMilliseconds: 0)
            try other.execute("BEGIN IMMEDIATE")
            await expectFailure("service.unavailable") { try await f.generic(email: "b@x.com") }
            try other.execute("ROLLBACK")
            _ = try await f.generic(email: "b@x.com")
        }
    }

    @Test func storeThatCannotOpenIsUnavailableNotACrash() async throws {
        let broken = StoreFactory(name: "sqlite-unopenable") { _ in try SQLiteStore(path: "/nonexistent-dir/nested/passcode.sqlite") }
        try await withFixture(broken) { f in
            let health = await f.verifier.health()
            #expect(!health.storeReachable)
            #expect(health.store == "sqlite-unopenable")
            await expectFailure("service.unavailable") { try await f.generic(email: "a@x.com") }
            await expectFailure("service.unavailable") { try await f.startInteraction() }
            await expectFailure("service.unavailable") { try await f.verifier.checkStore() }
        }
    }

    @Test func newerSchemaVersionRefusesToOpen() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let db = try SQLiteConnection(path: dir + "/passcode.sqlite", busyTimeoutMilliseconds: 0)
            try db.execute("PRAGMA user_version = 99")
        }
        #expect(throws: SQLiteError.self) { _ = try SQLiteStore(path: dir + "/passcode.sqlite") }
    }

    @Test func reopeningMigratesOnceAndKeepsTheSchemaVersion() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try SQLiteStore(path: dir + "/passcode.sqlite")
        let store = try SQLiteStore(path: dir + "/passcode.sqlite")
        #expect(try store.db.scalar("PRAGMA user_version")?.int == SQLiteStore.migrations.count)
        #expect(try store.db.scalar("PRAGMA journal_mode")?.string == "wal")
    }

    @Test func preparedStatementsAreReused() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try SQLiteConnection(path: dir + "/x.sqlite", busyTimeoutMilliseconds: 0)
        let first = try db.prepared("SELECT 1")
        let second = try db.prepared("SELECT 1")
        #expect(first === second)
    }
}
