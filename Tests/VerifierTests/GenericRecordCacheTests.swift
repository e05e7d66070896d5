import Contracts
import CryptoCore
import Foundation
import Testing
import TestSupport
@testable import VerifierService

/// Issue 7: the SQLite store holds its live Generic records in memory (`GenericRecordCache`) and
/// keeps them in step with the file. Each store test here would fail if one of the ways the file can
/// change behind the memory (a rollback, a savepoint rolled back, another connection's commit) were
/// not noticed: the store would then answer from a record the file no longer has.
@Suite struct GenericRecordCacheTests {
    // MARK: The packed id

    @Test func idsOfBothShapesPackAndComeBack() {
        let timeOrdered = SecureRandom.timeOrderedIdentifier(unixTime: 1_800_000_000.123)
        let plain = SecureRandom.identifier()
        for id in [timeOrdered, plain, "0", "z", String(repeating: "9", count: PackedID.capacity)] {
            #expect(PackedID(id)?.string == id)
        }
        #expect(timeOrdered.utf8.count == 35)
        #expect(PackedID("abc") != PackedID("abd"))
        #expect(PackedID("abc") != PackedID("abc0"))
    }

    @Test func idsThatDoNotFitAreRefused() {
        for id in ["", "ABC", "a-b", "é", "a b", String(repeating: "a", count: PackedID.capacity + 1)] {
            #expect(PackedID(id) == nil, "\(id)")
        }
    }

    // MARK: The table

    static func record(_ id: String, _ value: String, hash: UInt8 = 7, expiresAt: Double = 1000) -> CodeRecord {
        CodeRecord(id: id, interactionID: nil, identifier: .email(value), templateType: .signIn,
                   codeHash: [UInt8](repeating: hash, count: 31) + [hash &+ 1], expiresAt: expiresAt, attempts: 2, consumed: false)
    }

    @Test func aPutRecordComesBackWhole() {
        let cache = GenericRecordCache()
        let record = Self.record("r1", "a@x.com")
        cache.put(record)
        #expect(cache.record(of: .email("a@x.com")) == record)
        #expect(cache.record(of: .email("b@x.com")) == nil)
        #expect(cache.record(of: Identifier(type: .phone, value: "a@x.com")) == nil)
    }

    @Test func aPutReplacesAndARemoveForgets() {
        let cache = GenericRecordCache()
        cache.put(Self.record("r1", "a@x.com"))
        cache.put(Self.record("r2", "b@x.com"))
        let newer = Self.record("r3", "a@x.com", hash: 9, expiresAt: 2000)
        cache.put(newer)
        #expect(cache.count == 2)
        #expect(cache.record(of: .email("a@x.com")) == newer)
        cache.remove(.email("a@x.com"))
        #expect(cache.record(of: .email("a@x.com")) == nil)
        #expect(cache.count == 1)
        // The freed entry is used again.
        let third = Self.record("r4", "c@x.com")
        cache.put(third)
        #expect(cache.record(of: .email("c@x.com")) == third)
        #expect(cache.record(of: .email("b@x.com"))?.id == "r2")
        cache.clear()
        #expect(cache.count == 0)
        #expect(cache.record(of: .email("b@x.com")) == nil)
    }

    @Test func onlyLiveGenericRecordsThatFitAreHeld() {
        let cache = GenericRecordCache()
        var scoped = Self.record("r1", "a@x.com")
        scoped.interactionID = "i1"
        var used = Self.record("r2", "b@x.com")
        used.consumed = true
        var shortHash = Self.record("r3", "c@x.com")
        shortHash.codeHash = [1, 2, 3]
        let oddID = Self.record("R-4", "d@x.com")
        for record in [scoped, used, shortHash, oddID] {
            cache.put(Self.record("old", record.identifier.value))
            cache.put(record)
            // Not held, and the identifier's previous record is gone too.
            #expect(cache.record(of: record.identifier) == nil)
        }
        #expect(cache.count == 0)
    }

    // MARK: The store

    static let policy = VerifyPolicy(maxAttempts: 10, lockoutAttempts: 100, lockoutWindow: 3600, lockoutDuration: 3600)
    static let sendPolicy = SendPolicy(recipientLimit: 1000, recipientWindow: 3600, clientLimit: 1000, clientWindow: 3600, cooldown: 0)

    static func issue(_ store: SQLiteStore, _ value: String, code: String, now: Double = 100) throws -> String {
        let id = SecureRandom.timeOrderedIdentifier(unixTime: now)
        let outcome = try store.issue(IssueRequest(recordID: id, scope: .generic, identifier: .email(value), templateType: .generic,
                                                   codeHash: hash(id, code), expiresAt: now + 600, recipientBucket: "email:\(value)",
                                                   clientBucket: nil, policy: sendPolicy), now: now)
        #expect(outcome == .issued)
        return id
    }

    /// A stand-in for the code's HMAC, 32 bytes like it: the code, then the id.
    static func hash(_ id: String, _ code: String) -> [UInt8] {
        let bytes = Array((code + "|" + id).utf8.prefix(32))
        return bytes + [UInt8](repeating: 0, count: 32 - bytes.count)
    }

    static func verify(_ store: SQLiteStore, _ value: String, code: String, now: Double = 101) throws -> VerifyOutcome {
        try store.verifyGeneric(identifier: .email(value), codeIsEmpty: false, policy: policy, now: now) { id in
            [hash(id, code)]
        }.outcome
    }

    static func withStore<T>(_ body: (SQLiteStore, String) throws -> T) throws -> T {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/passcode.sqlite")
        return try body(store, dir + "/passcode.sqlite")
    }

    /// A send puts its record in memory, a verify is answered from there, a used code leaves it.
    @Test func sendsPutRecordsAndVerifiesUseThem() throws {
        try Self.withStore { store, _ in
            _ = try Self.issue(store, "a@x.com", code: "111111")
            #expect(store.genericRecords.count == 1)
            #expect(try Self.verify(store, "a@x.com", code: "222222") == .codeMismatch)
            #expect(try Self.verify(store, "a@x.com", code: "111111") == .verified)
            #expect(store.genericRecords.count == 0)
            #expect(try Self.verify(store, "a@x.com", code: "111111") == .codeNotFound)
        }
    }

    /// A store reopened on its file starts empty and reads the records as verifies ask for them.
    @Test func aReopenedStoreReadsRecordsIntoMemory() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let store = try SQLiteStore(path: dir + "/passcode.sqlite")
            _ = try Self.issue(store, "a@x.com", code: "111111")
        }
        let store = try SQLiteStore(path: dir + "/passcode.sqlite")
        #expect(store.genericRecords.count == 0)
        #expect(try Self.verify(store, "a@x.com", code: "222222") == .codeMismatch)
        #expect(store.genericRecords.count == 1)
        #expect(try Self.verify(store, "a@x.com", code: "111111") == .verified)
    }

    /// A send whose transaction rolls back must not be answered from memory.
    @Test func aRolledBackSendIsNotServedFromMemory() throws {
        struct Abort: Error {}
        try Self.withStore { store, _ in
            _ = try Self.issue(store, "a@x.com", code: "111111")
            #expect(throws: Abort.self) {
                try store.db.immediateTransaction {
                    _ = try Self.issue(store, "a@x.com", code: "999999")
                    throw Abort()
                }
            }
            #expect(try Self.verify(store, "a@x.com", code: "999999") == .codeMismatch)
            #expect(try Self.verify(store, "a@x.com", code: "111111") == .verified)
        }
    }

    /// In a group-commit batch whose second job throws, the batch runs again in savepoints; the
    /// failing job's send is rolled back to its savepoint and must not be answered from memory.
    @Test func aSendRolledBackToItsSavepointIsNotServedFromMemory() throws {
        struct Abort: Error {}
        try Self.withStore { store, _ in
            _ = try Self.issue(store, "a@x.com", code: "111111")
            let clears = store.genericRecords.clears
            let undone = store.runBatch(2) { index in
                if index == 0 {
                    _ = try Self.issue(store, "b@x.com", code: "333333")
                } else {
                    _ = try Self.issue(store, "a@x.com", code: "999999")
                    throw Abort()
                }
            }
            #expect(undone.allSatisfy { $0 == nil })
            #expect(store.genericRecords.clears > clears)
            #expect(try Self.verify(store, "a@x.com", code: "999999") == .codeMismatch)
            #expect(try Self.verify(store, "a@x.com", code: "111111") == .verified)
            #expect(try Self.verify(store, "b@x.com", code: "333333") == .verified)
        }
    }

    /// Another connection to the file (here a second store in this process) replaces a record the
    /// first holds in memory: the first notices the commit and reads the file again.
    @Test func anotherConnectionsCommitIsSeen() throws {
        try Self.withStore { store, path in
            _ = try Self.issue(store, "a@x.com", code: "111111")
            #expect(try Self.verify(store, "a@x.com", code: "222222") == .codeMismatch)
            let other = try SQLiteStore(path: path)
            _ = try Self.issue(other, "a@x.com", code: "999999")
            #expect(try Self.verify(store, "a@x.com", code: "111111") == .codeMismatch)
            #expect(try Self.verify(store, "a@x.com", code: "999999") == .verified)
            // And the other way: the code used through the first is gone for the second too.
            #expect(try Self.verify(other, "a@x.com", code: "999999") == .codeNotFound)
        }
    }

    /// The checkpoints of the store's own checkpointer thread (another connection, which moves no
    /// data) do not empty the table either, nor does the WAL starting over after them.
    @Test func backgroundCheckpointsKeepTheTable() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/passcode.sqlite")
        let checkpointer = try #require(store.checkpointer)
        _ = try Self.issue(store, "a@x.com", code: "111111")
        #expect(try Self.verify(store, "a@x.com", code: "222222") == .codeMismatch)
        let clears = store.genericRecords.clears
        var n = 0
        let deadline = ContinuousClock.now + .seconds(30)
        while checkpointer.completedCheckpoints < 3, ContinuousClock.now < deadline {
            for _ in 0..<200 {
                _ = try Self.issue(store, "u\(n)@x.com", code: "111111")
                n += 1
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(checkpointer.completedCheckpoints >= 3)
        #expect(try Self.verify(store, "a@x.com", code: "333333") == .codeMismatch)
        #expect(try Self.verify(store, "u0@x.com", code: "222222") == .codeMismatch)
        #expect(store.genericRecords.clears == clears)
        #expect(store.genericRecords.count == n + 1)
    }

    /// Its own commits and the WAL checkpoints do not empty the table: it stays full under load.
    @Test func ownCommitsAndCheckpointsKeepTheTable() throws {
        try Self.withStore { store, _ in
            for n in 0..<50 { _ = try Self.issue(store, "u\(n)@x.com", code: "111111") }
            let clears = store.genericRecords.clears
            for round in 0..<8 {
                for n in 0..<50 {
                    #expect(try Self.verify(store, "u\(n)@x.com", code: "22222\(round)") == .codeMismatch)
                }
                _ = try store.db.scalar("PRAGMA wal_checkpoint(PASSIVE)")
            }
            #expect(store.genericRecords.clears == clears)
            #expect(store.genericRecords.count == 50)
        }
    }
}
