import CSQLite
import Foundation
import Testing
import TestSupport
@testable import VerifierService

/// The store's WAL checkpoints run on their own thread (WALCheckpointer.swift), not inside the
/// writer's COMMIT. Real SQLite files; SQLite's own pragmas are the witnesses.
@Suite struct WALCheckpointerTests {
    /// Writes `transactions` commits of one fresh 3 KiB row each: at least one new WAL page per commit.
    static func write(_ store: SQLiteStore, transactions: Int, from start: Int = 0) throws {
        try store.db.execute("CREATE TABLE IF NOT EXISTS filler (n INTEGER PRIMARY KEY, blob BLOB)")
        for n in start..<start + transactions {
            try store.db.immediateTransaction {
                try store.db.run("INSERT INTO filler (n, blob) VALUES (?, zeroblob(3072))", [.integer(Int64(n))])
            }
        }
    }

    static func walPages(_ path: String) -> Int {
        let size = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        return size / 4096
    }

    @Test func theWriterHandsCheckpointsToTheCheckpointThread() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/passcode.sqlite")
        let checkpointer = try #require(store.checkpointer)
        // About three pages per transaction: well below the threshold.
        try Self.write(store, transactions: Int(WALCheckpointer.threshold) / 8)
        // Below the threshold nothing is asked for (SQLite's own automatic checkpoint is off too).
        #expect(Self.walPages(dir + "/passcode.sqlite") < Int(WALCheckpointer.threshold))
        #expect(checkpointer.completedCheckpoints == 0)
        try Self.write(store, transactions: Int(WALCheckpointer.threshold), from: 1_000_000)
        try await waitUntil("a checkpoint on the checkpoint thread") { checkpointer.completedCheckpoints >= 1 }
    }

    @Test func theWALRestartsInsteadOfGrowingUnderContinuousWrites() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/passcode.sqlite"
        let store = try SQLiteStore(path: path)
        // Several times the writer's limit in pages (each commit adds at least one), without pause:
        // the WAL file restarts from its beginning instead of growing by every page.
        try Self.write(store, transactions: Int(WALCheckpointer.writerLimit) * 3)
        #expect(Self.walPages(path) <= Int(WALCheckpointer.writerLimit) + 64)
    }

    @Test func everyCommitSurvivesAndClosingLeavesNoWAL() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/passcode.sqlite"
        var store: SQLiteStore? = try SQLiteStore(path: path)
        try Self.write(try #require(store), transactions: 2_500)
        let checkpointer = try #require(store?.checkpointer)
        try await waitUntil("a checkpoint") { checkpointer.completedCheckpoints >= 1 }
        store = nil
        // The last connection to close (the writer, after the checkpoint thread's) folds the WAL in.
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let reopened = try SQLiteStore(path: path)
        #expect(try reopened.db.scalar("SELECT COUNT(*) FROM filler")?.int == 2_500)
        #expect(try reopened.db.scalar("PRAGMA integrity_check") == .text("ok"))
    }

    /// Past the threshold the writer asks again only once the WAL has grown by `requestStep` pages,
    /// not at every commit. A reader holding an old snapshot keeps the WAL from restarting, so
    /// every commit here ends past the threshold; each is followed by a pause long enough for a
    /// requested checkpoint to run. Asking at every commit ran one checkpoint (a wake-up, a copy
    /// and a sync) per commit.
    @Test func checkpointsAreAskedForOncePerStepNotPerCommit() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/passcode.sqlite"
        let store = try SQLiteStore(path: path)
        let checkpointer = try #require(store.checkpointer)
        try Self.write(store, transactions: 1)
        let reader = try SQLiteConnection(path: path, busyTimeoutMilliseconds: 1000)
        try reader.execute("BEGIN")
        #expect(try reader.scalar("SELECT COUNT(*) FROM filler")?.int == 1)
        try Self.write(store, transactions: Int(WALCheckpointer.threshold), from: 1)
        try await waitUntil("the first checkpoint") { checkpointer.completedCheckpoints >= 1 }
        try await Task.sleep(for: .milliseconds(100))
        let before = checkpointer.completedCheckpoints
        let pagesBefore = Self.walPages(path)
        let commits = 64
        for n in 0..<commits {
            try Self.write(store, transactions: 1, from: 10_000 + n)
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(100))
        let ran = checkpointer.completedCheckpoints - before
        let grown = Self.walPages(path) - pagesBefore
        #expect(grown >= commits)
        #expect(ran >= 1)
        #expect(ran <= grown / Int(WALCheckpointer.requestStep) + 1, "\(ran) checkpoints for \(commits) commits, \(grown) pages")
        try reader.execute("COMMIT")
    }
}
