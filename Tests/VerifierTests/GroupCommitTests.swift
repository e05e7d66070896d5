import CSQLite
import Contracts
import Dispatch
import Foundation
import Synchronization
import Testing
import TestSupport
@testable import VerifierService

/// Group commit on the SQLite store (issue 7): jobs queued while the store thread is busy run as one
/// transaction (each in a savepoint of its own only after one of them failed), and are answered only
/// after its COMMIT. Real SQLite file, real StoreWorker; a gate job holds the store thread so the
/// batch's make-up is exact.
@Suite struct GroupCommitTests {
    @Test func verifiesQueuedTogetherCommitAsOneTransaction() async throws {
        try await withFixture(.sqlite) { f in
            var issued: [String] = []
            for n in 0..<64 { issued.append(try await f.generic(email: "u\(n)@x.com").code) }
            let codes = issued
            let before = try await commits(f)
            let readsBefore = try await logReads(f)
            let gate = try await StoreGate.hold(f.verifier.worker)
            defer { gate.release() }
            let outcomes = try await gate.releasing(after: 64) {
                await ConcurrencyTests.concurrently(64) { n in try await f.verifyGeneric(.email("u\(n)@x.com"), wrong(codes[n])) }
            }
            #expect(ConcurrencyTests.tally(outcomes) == ["verification_code.code_mismatch": 64])
            #expect(try await commits(f) - before == 1)
            // The attempt log is read once for the transaction, not once per job: no other
            // connection can append while the batch holds the write lock.
            #expect(try await logReads(f) - readsBefore == 1)
            // Each job's attempt landed: one each, none lost to a neighbour.
            let attempts = try await f.sqliteScalar("SELECT COUNT(*) FROM attempt_log")
            #expect(attempts == 64)
            // A batch whose steps all succeed runs them together, without a savepoint each.
            #expect(try await savepointsPrepared(f) == false)
        }
    }

    @Test func aLoneJobIsStillOneTransaction() async throws {
        try await withFixture(.sqlite) { f in
            let issued = try await f.generic(email: "a@x.com")
            let before = try await commits(f)
            let readsBefore = try await logReads(f)
            for _ in 0..<5 {
                await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code)) }
            }
            #expect(try await commits(f) - before == 5)
            #expect(try await logReads(f) - readsBefore == 5)   // each transaction reads it again
        }
    }

    @Test func jobsBeyondTheBatchLimitGoToTheNextTransaction() async throws {
        try await withFixture(.sqlite) { f in
            let count = SQLiteStore.batchLimit + 72
            let before = try await commits(f)
            let gate = try await StoreGate.hold(f.verifier.worker)
            defer { gate.release() }
            let outcomes = try await gate.releasing(after: count) {
                await ConcurrencyTests.concurrently(count) { _ in try await f.startInteraction() }
            }
            #expect(ConcurrencyTests.tally(outcomes) == ["success": count])
            #expect(try await commits(f) - before == 2)
        }
    }

    @Test func batchedOutcomesMatchTheSerialPath() async throws {
        let serial = try await withFixture(.sqlite) { f in
            let steps = try await Self.mixedSteps(f)
            var out: [String?] = []
            for step in steps { out.append(await Self.outcome(step)) }
            return out
        }
        let batched = try await withFixture(.sqlite) { f in
            let steps = try await Self.mixedSteps(f)
            let before = try await commits(f)
            let gate = try await StoreGate.hold(f.verifier.worker)
            defer { gate.release() }
            // Posted one by one so the queue keeps this order.
            var tasks: [Task<String?, Never>] = []
            for (index, step) in steps.enumerated() {
                tasks.append(Task { await Self.outcome(step) })
                try await waitUntil("job \(index) queued") { f.verifier.worker.pendingJobs == index + 1 }
            }
            gate.release()
            var out: [String?] = []
            for task in tasks { out.append(await task.value) }
            #expect(try await commits(f) - before == 1)
            return out
        }
        #expect(batched == serial)
        #expect(serial.filter { $0 == nil }.count == 2)
    }

    @Test func aJobThatThrowsDoesNotUndoItsNeighbours() async throws {
        try await withFixture(.sqlite) { f in
            let worker = f.verifier.worker
            let now = f.clock.now
            let before = try await commits(f)
            let gate = try await StoreGate.hold(worker)
            defer { gate.release() }
            let first = Task { try await worker.perform { try $0.createInteraction(id: "first", event: .signIn, expiresAt: now + 600, now: now) } }
            try await waitUntil { worker.pendingJobs == 1 }
            let failing = Task {
                try await worker.perform { store in
                    try store.createInteraction(id: "failing", event: .signIn, expiresAt: now + 600, now: now)
                    throw JobFailure()
                }
            }
            try await waitUntil { worker.pendingJobs == 2 }
            let last = Task { try await worker.perform { try $0.createInteraction(id: "last", event: .signIn, expiresAt: now + 600, now: now) } }
            try await waitUntil { worker.pendingJobs == 3 }
            gate.release()

            try await first.value
            await #expect(throws: JobFailure.self) { try await failing.value }
            try await last.value
            #expect(try await commits(f) - before == 1)
            let reader = try SQLiteConnection(path: f.directory + "/passcode.sqlite", busyTimeoutMilliseconds: 1000)
            let ids = try reader.rows("SELECT id FROM interactions ORDER BY id").compactMap { $0.first?.string }
            #expect(ids == ["first", "last"])
        }
    }

    @Test func aFailedCommitFailsEveryJobOfTheBatch() async throws {
        try await withFixture(.sqlite) { f in
            let worker = f.verifier.worker
            let now = f.clock.now
            try await Self.prepareFailingCommit(worker)
            let gate = try await StoreGate.hold(worker)
            defer { gate.release() }
            let first = Task { try await worker.perform { try $0.createInteraction(id: "first", event: .signIn, expiresAt: now + 600, now: now) } }
            try await waitUntil { worker.pendingJobs == 1 }
            let dangling = Task { try await worker.perform(Self.insertDanglingChild) }
            try await waitUntil { worker.pendingJobs == 2 }
            let last = Task { try await worker.perform { try $0.createInteraction(id: "last", event: .signIn, expiresAt: now + 600, now: now) } }
            try await waitUntil { worker.pendingJobs == 3 }
            gate.release()

            for job in [first, dangling, last] {
                do {
                    try await job.value
                    Issue.record("a job of a batch whose COMMIT failed succeeded")
                } catch let error as SQLiteError {
                    #expect(error.primaryCode == SQLITE_CONSTRAINT)
                }
            }
            let reader = try SQLiteConnection(path: f.directory + "/passcode.sqlite", busyTimeoutMilliseconds: 1000)
            #expect(try reader.scalar("SELECT COUNT(*) FROM interactions")?.int == 0)
            // The failed transaction was ended: the next job runs and commits.
            try await worker.perform { try $0.createInteraction(id: "after", event: .signIn, expiresAt: now + 600, now: now) }
            #expect(try reader.scalar("SELECT id FROM interactions")?.string == "after")
        }
    }

    /// A job that counted a miss and then failed is rolled back to its savepoint: its miss is gone
    /// from the log, and from the in-memory counts (AttemptLedger) the jobs after it read.
    @Test func aMissOfARolledBackJobIsNotCounted() async throws {
        try await withFixture(.sqlite) { f in
            let issued = try await f.generic(email: "a@x.com")
            let worker = f.verifier.worker
            let gate = try await StoreGate.hold(worker)
            defer { gate.release() }
            let first = Task { try await worker.perform { try Self.miss($0, f) } }
            try await waitUntil { worker.pendingJobs == 1 }
            let failing = Task {
                try await worker.perform { store in
                    _ = try Self.miss(store, f)
                    throw JobFailure()
                }
            }
            try await waitUntil { worker.pendingJobs == 2 }
            let last = Task { try await worker.perform { try Self.miss($0, f) } }
            try await waitUntil { worker.pendingJobs == 3 }
            gate.release()

            #expect(try await first.value == .codeMismatch)
            await #expect(throws: JobFailure.self) { try await failing.value }
            // Two misses counted (the cap), not three: the last was still allowed one.
            #expect(try await last.value == .codeMismatch)
            #expect(try await worker.perform { try Self.miss($0, f) } == .exceedMaxTry)
            #expect(try await f.sqliteScalar("SELECT COUNT(*) FROM attempt_log WHERE record_id = '\(issued.verificationId)'") == 2)
        }
    }

    /// A batch whose COMMIT fails is rolled back whole, misses included; the counts in memory follow.
    @Test func missesOfAFailedBatchAreNotCounted() async throws {
        try await withFixture(.sqlite) { f in
            _ = try await f.generic(email: "a@x.com")
            let worker = f.verifier.worker
            try await Self.prepareFailingCommit(worker)
            let gate = try await StoreGate.hold(worker)
            defer { gate.release() }
            let miss = Task { try await worker.perform { try Self.miss($0, f) } }
            try await waitUntil { worker.pendingJobs == 1 }
            let dangling = Task { try await worker.perform(Self.insertDanglingChild) }
            try await waitUntil { worker.pendingJobs == 2 }
            gate.release()
            await #expect(throws: SQLiteError.self) { try await miss.value }
            await #expect(throws: SQLiteError.self) { try await dangling.value }

            #expect(try await f.sqliteScalar("SELECT COUNT(*) FROM attempt_log") == 0)
            #expect(try await worker.perform { try Self.miss($0, f) } == .codeMismatch)
            #expect(try await worker.perform { try Self.miss($0, f) } == .codeMismatch)
            #expect(try await worker.perform { try Self.miss($0, f) } == .exceedMaxTry)
        }
    }

    /// A deferred foreign key is checked at COMMIT: after this, a job that runs `insertDanglingChild`
    /// makes its batch's COMMIT itself fail.
    static func prepareFailingCommit(_ worker: StoreWorker) async throws {
        try await worker.perform { store in
            guard let sqlite = store as? SQLiteStore else { throw JobFailure() }
            try sqlite.db.execute("""
                PRAGMA foreign_keys = ON;
                CREATE TABLE parent (id INTEGER PRIMARY KEY);
                CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
                """)
        }
    }

    @Sendable static func insertDanglingChild(_ store: any CodeStore) throws {
        guard let sqlite = store as? SQLiteStore else { throw JobFailure() }
        try sqlite.db.run("INSERT INTO child (parent) VALUES (42)")
    }

    /// One wrong guess at a@x.com straight on the store, under a cap of two attempts.
    static func miss(_ store: any CodeStore, _ f: Fixture) throws -> VerifyOutcome {
        let policy = VerifyPolicy(maxAttempts: 2, lockoutAttempts: 100, lockoutWindow: 3600, lockoutDuration: 3600)
        return try store.verifyGeneric(identifier: .email("a@x.com"), codeIsEmpty: false, policy: policy, now: f.clock.now,
                                       candidates: { _ in [[0]] }).outcome
    }

    @Test func noReplyComesBeforeItsBatchCommits() async throws {
        try await withFixture(.sqlite, config: Fixture.config { $0.sendLimit = 1000 }) { f in
            let path = f.directory + "/passcode.sqlite"
            let gate = try await StoreGate.hold(f.verifier.worker)
            defer { gate.release() }
            let checks = Task {
                await withTaskGroup(of: Bool.self) { group in
                    for n in 0..<32 {
                        group.addTask {
                            guard let issued = try? await f.generic(email: "u\(n)@x.com") else { return false }
                            // Another connection, as another verifier process would read the file.
                            guard let reader = try? SQLiteConnection(path: path, busyTimeoutMilliseconds: 1000) else { return false }
                            let found = try? reader.scalar("SELECT 1 FROM code_records WHERE id = ?", [.text(issued.verificationId)])
                            return found != nil
                        }
                    }
                    return await group.reduce(into: [Bool]()) { $0.append($1) }
                }
            }
            try await waitUntil { f.verifier.worker.pendingJobs == 32 }
            // The batch's last job dawdles, so a reply sent before COMMIT would be read well before it.
            let slow = Task { try await f.verifier.worker.perform { _ in _ = usleep(200_000) } }
            try await waitUntil { f.verifier.worker.pendingJobs == 33 }
            gate.release()
            try await slow.value
            let found = await checks.value
            #expect(found.count == 32)
            #expect(found.allSatisfy { $0 })
        }
    }

    /// The savepoints of a batch keep their sub-journal in memory (`PRAGMA temp_store = MEMORY`):
    /// past 64 KiB SQLite otherwise spills it to a file it creates in /var/tmp (or $TMPDIR) and
    /// unlinks, which costs an open per large batch and fails where that directory is read-only.
    @Test func temporaryStorageIsInMemory() async throws {
        try await withFixture(.sqlite) { f in
            let mode = try await f.sqliteScalar("PRAGMA temp_store")
            #expect(mode == 2)
        }
    }

    @Test func aPurgeBatchRunsInATransactionOfItsOwn() async throws {
        try await withFixture(.sqlite) { f in
            let issued = try await f.generic(email: "live@x.com")
            // An interaction long expired, for the purge to remove.
            let then = f.clock.now - 7200
            try await f.verifier.worker.perform { try $0.createInteraction(id: "old", event: .signIn, expiresAt: then + 600, now: then) }
            let before = try await commits(f)
            let worker = f.verifier.worker
            let gate = try await StoreGate.hold(worker)
            defer { gate.release() }
            let miss: @Sendable () async -> String? = {
                await failure { try await f.verifyGeneric(.email("live@x.com"), wrong(issued.code)) }?.code
            }
            let early = Task { await miss() }
            try await waitUntil { worker.pendingJobs == 1 }
            let purge = Task { try await f.verifier.purgeExpired() }
            try await waitUntil { worker.pendingJobs == 2 }
            let late = Task { await miss() }
            try await waitUntil { worker.pendingJobs == 3 }
            gate.release()
            #expect(await early.value == "verification_code.code_mismatch")
            #expect(try await purge.value == 1)
            #expect(await late.value == "verification_code.code_mismatch")
            // The verify before it, the purge alone, the verify after it.
            #expect(try await commits(f) - before == 3)
        }
    }

    // MARK: Helpers

    /// A mixed run of steps against two Generic codes and one interaction code: mismatches up to the
    /// attempt limit and past it, successes, replays and unknowns.
    static func mixedSteps(_ f: Fixture) async throws -> [@Sendable () async throws -> Void] {
        let a = try await f.generic(email: "a@x.com")
        let b = try await f.generic(phone: "15550001111")
        let i = try await f.startInteraction()
        let c = try await f.issue(in: i, .email("c@x.com"))
        var steps: [@Sendable () async throws -> Void] = []
        for _ in 0..<12 { steps.append { _ = try await f.verifyGeneric(.email("a@x.com"), wrong(a.code)) } }
        steps.append { _ = try await f.verifyGeneric(.email("a@x.com"), a.code) }
        steps.append { _ = try await f.verifyGeneric(.phone("15550001111"), b.code) }
        steps.append { _ = try await f.verifyGeneric(.phone("15550001111"), b.code) }
        steps.append { _ = try await f.verifyGeneric(.email("nobody@x.com"), "123456") }
        steps.append { _ = try await f.verify(in: i, .email("c@x.com"), id: c.verificationId, code: wrong(c.code)) }
        steps.append { _ = try await f.verify(in: i, .email("c@x.com"), id: "unknown-id", code: c.code) }
        steps.append { _ = try await f.verify(in: i, .phone("15550001111"), id: c.verificationId, code: c.code) }
        steps.append { _ = try await f.verify(in: i, .email("c@x.com"), id: c.verificationId, code: c.code) }
        steps.append { _ = try await f.verify(in: i, .email("c@x.com"), id: c.verificationId, code: c.code) }
        return steps
    }

    /// nil for success, else the catalogue code.
    static func outcome(_ step: @Sendable () async throws -> Void) async -> String? {
        do {
            try await step()
            return nil
        } catch {
            return (error as? ServiceError)?.code ?? "not a ServiceError: \(error)"
        }
    }
}

/// Holds a store worker's thread inside a job until released, so jobs posted meanwhile queue up
/// and its next wake takes them as one batch.
final class StoreGate: Sendable {
    private let worker: StoreWorker
    private let semaphore = DispatchSemaphore(value: 0)
    private let entered = Atomic(false)
    private let released = Atomic(false)

    private init(_ worker: StoreWorker) {
        self.worker = worker
    }

    /// Returns once the worker's thread is inside the gate job.
    static func hold(_ worker: StoreWorker) async throws -> StoreGate {
        let gate = StoreGate(worker)
        Task {
            try await worker.perform { _ in
                gate.entered.store(true, ordering: .releasing)
                gate.semaphore.wait()
            }
        }
        try await waitUntil("the store thread is held") { gate.entered.load(ordering: .acquiring) }
        return gate
    }

    func release() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { semaphore.signal() }
    }

    /// Runs `body` (which posts `jobs` jobs and awaits them), releasing the gate once all are queued.
    func releasing<T: Sendable>(after jobs: Int, _ body: @escaping @Sendable () async -> T) async throws -> T {
        let task = Task { await body() }
        defer { release() }
        try await waitUntil("\(jobs) jobs queued") { worker.pendingJobs >= jobs }
        release()
        return await task.value
    }
}

private struct JobFailure: Error {}

/// Transactions committed so far by the fixture's store connection.
private func commits(_ f: Fixture) async throws -> Int {
    try await f.verifier.worker.perform { store in
        guard let sqlite = store as? SQLiteStore else { throw JobFailure() }
        return sqlite.db.commits
    }
}


/// How many times the SQLite store's attempt ledger has read the attempt log.
private func logReads(_ f: Fixture) async throws -> Int {
    try await f.verifier.worker.perform { store in
        guard let sqlite = store as? SQLiteStore else { throw JobFailure() }
        return sqlite.attempts.logReads
    }
}

/// A step that throws sends the batch back through the savepoint path, where it is undone alone.
/// (That a batch which succeeds uses no savepoint is checked by `GroupCommitTests`'
/// `verifiesQueuedTogetherCommitAsOneTransaction`.)
@Suite struct GroupCommitSavepointTests {
    @Test func aStepThatThrowsSendsTheBatchThroughSavepointsAndItsNeighboursCommitOnce() async throws {
        try await withFixture(.sqlite) { f in
            let worker = f.verifier.worker
            let now = f.clock.now
            let runs = RunCounter()
            let before = try await commits(f)
            let gate = try await StoreGate.hold(worker)
            defer { gate.release() }
            var tasks: [Task<Void, any Error>] = []
            for n in 0..<5 {
                tasks.append(Task {
                    try await worker.perform { store in
                        runs.value.add(1, ordering: .relaxed)
                        try store.createInteraction(id: "i\(n)", event: .signIn, expiresAt: now + 600, now: now)
                        if n == 2 { throw BatchStepFailure() }
                    }
                })
                try await waitUntil { worker.pendingJobs == n + 1 }
            }
            gate.release()
            for (n, task) in tasks.enumerated() {
                if n == 2 {
                    await #expect(throws: BatchStepFailure.self) { try await task.value }
                } else {
                    try await task.value
                }
            }
            // Together the first time, as far as the throwing step (three runs); then all five again.
            #expect(runs.value.load(ordering: .relaxed) == 8)
            #expect(try await commits(f) - before == 1)
            #expect(try await savepointsPrepared(f) == true)
            let reader = try SQLiteConnection(path: f.directory + "/passcode.sqlite", busyTimeoutMilliseconds: 1000)
            let ids = try reader.rows("SELECT id FROM interactions ORDER BY id").compactMap { $0.first?.string }
            #expect(ids == ["i0", "i1", "i3", "i4"])
        }
    }

    private struct BatchStepFailure: Error {}

    private final class RunCounter: Sendable {
        let value = Atomic(0)
    }
}

/// Whether the store's connection has ever prepared the batch's per-step savepoint.
private func savepointsPrepared(_ f: Fixture) async throws -> Bool {
    try await f.verifier.worker.perform { store in
        (store as? SQLiteStore)?.db.preparedSQL.contains("SAVEPOINT job") ?? false
    }
}
