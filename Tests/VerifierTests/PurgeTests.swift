import Contracts
import Dispatch
import Synchronization
import Testing
@testable import VerifierService

@Suite struct PurgeTests {
    @Test(arguments: StoreFactory.all)
    func purgeRemovesExpiredInteractionsAndTheirRecords(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            _ = try await f.issue(in: i, .email("a@x.com"))
            #expect(try await f.verifier.purgeExpired() == 0)
            f.clock.advance(3600)
            #expect(try await f.verifier.purgeExpired() >= 2)
            await expectFailure("session.not_found") { try await f.verifier.getInteraction(.init(interactionId: i)) }
        }
    }

    @Test(arguments: StoreFactory.all)
    func purgeKeepsLiveStateAndOldSendsStopCounting(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.sendLimit = 2 }) { f in
            _ = try await f.generic(email: "a@x.com")
            f.clock.advance(300)
            let live = try await f.generic(email: "a@x.com")
            f.clock.advance(301)
            _ = try await f.verifier.purgeExpired()
            // The first send left the window and was purged; the second still counts.
            _ = try await f.generic(email: "b@x.com")
            _ = try await f.generic(email: "a@x.com")
            await expectFailure("request.message_rate_limited") { try await f.generic(email: "a@x.com") }
            _ = live
        }
    }

    @Test(arguments: StoreFactory.all)
    func expiredGenericCodeStillAnswersExpiredUntilTheGraceEnds(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let issued = try await f.generic(email: "a@x.com")
            f.clock.advance(601)
            _ = try await f.verifier.purgeExpired()
            await expectFailure("verification_code.expired") { try await f.verifyGeneric(.email("a@x.com"), issued.code) }
            f.clock.advance(PurgePolicy.defaultExpiredRecordGrace)
            _ = try await f.verifier.purgeExpired()
            await expectFailure("verification_code.not_found") { try await f.verifyGeneric(.email("a@x.com"), issued.code) }
        }
    }

    /// SQLite: Generic codes used before they were deleted on use are marked `consumed = 1`; the
    /// purge still removes those (through `code_records_consumed`) and keeps live ones.
    @Test func purgeRemovesGenericCodesMarkedUsedByEarlierVersions() async throws {
        try await withFixture(.sqlite) { f in
            let used = try await f.generic(email: "used@x.com")
            let live = try await f.generic(email: "live@x.com")
            #expect(try await f.sqliteScalar("UPDATE code_records SET consumed = 1 WHERE id = '\(used.verificationId)' RETURNING 1") == 1)
            #expect(try await f.verifier.purgeExpired() == 1)
            #expect(try await f.sqliteScalar("SELECT COUNT(*) FROM code_records WHERE id = '\(used.verificationId)'") == 0)
            #expect(try await f.sqliteScalar("SELECT COUNT(*) FROM code_records WHERE id = '\(live.verificationId)'") == 1)
        }
    }

    @Test(arguments: StoreFactory.all)
    func purgeEndsFinishedLockouts(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.lockoutAttempts = 1; $0.lockoutMinutes = 1 }) { f in
            let i = try await f.startInteraction()
            let issued = try await f.issue(in: i, .email("a@x.com"))
            await expectFailure("session.verification_blocked_too_many_attempts") {
                try await f.verify(in: i, .email("a@x.com"), id: issued.verificationId, code: "")
            }
            f.clock.advance(60)
            #expect(try await f.verifier.purgeExpired() >= 1)
            _ = try await f.verify(in: i, .email("a@x.com"), id: issued.verificationId, code: issued.code)
        }
    }

    /// A backlog is purged at a quarter of the store's time at most: after every batch but the
    /// last, the purge rests three times as long as the batch ran (bounded to a second), so verifies
    /// are not left one turn per purge batch.
    @Test func aLongPurgeRestsBetweenBatches() async throws {
        try await withFixture(.sqlite) { f in
            let expired = CodeVerifier.purgeBatchSize * 2 + 500
            try await Self.insertExpiredRecords(expired, into: f)
            f.clock.advance(60)
            let rests = Mutex<[Duration]>([])
            let removed = try await f.verifier.purgeExpired { rest in rests.withLock { $0.append(rest) } }
            #expect(removed == expired)
            let taken = rests.withLock { $0 }
            #expect(taken.count == 2)
            #expect(taken.allSatisfy { $0 > .zero && $0 <= .seconds(1) })
        }
    }

    /// Profile finding 2: a purge over many expired rows runs as bounded batches, one store job
    /// each, so a verify queued behind its first batch is answered before the purge ends.
    @Test func verifyQueuedDuringALongPurgeIsAnsweredBeforeThePurgeEnds() async throws {
        try await withFixture(.sqlite) { f in
            let issued = try await f.generic(email: "live@x.com")
            // Far more expired Generic records than one batch.
            let expired = CodeVerifier.purgeBatchSize * 5
            try await Self.insertExpiredRecords(expired, into: f)
            f.clock.advance(60)

            // Hold the store thread so the purge's first job and then the verify queue in that order.
            let gate = DispatchSemaphore(value: 0)
            let holding = Task { try await f.verifier.worker.perform { _ in gate.wait() } }
            defer { gate.signal() }
            try await waitUntil { f.verifier.worker.pendingJobs == 0 }
            let purge = Task { try await f.verifier.purgeExpired() }
            try await waitUntil { f.verifier.worker.pendingJobs == 1 }
            let verify = Task { try await f.verifyGeneric(.email("live@x.com"), issued.code) }
            try await waitUntil { f.verifier.worker.pendingJobs == 2 }
            // Runs right after the verify (one FIFO thread): the purge must still have rows to go.
            let probe = Task {
                try await f.verifier.worker.perform { store -> Int in
                    guard let sqlite = store as? SQLiteStore else { throw StoreWorkerError.stopped }
                    return try sqlite.db.scalar("SELECT COUNT(*) FROM code_records WHERE identifier_value LIKE 'old%'")?.int ?? 0
                }
            }
            try await waitUntil { f.verifier.worker.pendingJobs == 3 }
            gate.signal()
            try await holding.value

            #expect(try await verify.value.verificationId == issued.verificationId)
            #expect(try await probe.value > 0)
            #expect(try await purge.value >= expired)
        }
    }
}

/// Polls `condition` until it holds, failing after a generous deadline.
private func waitUntil(_ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met before the deadline")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(1))
    }
}

extension PurgeTests {
    /// `count` Generic records long expired ('old1'…), written straight into the file.
    static func insertExpiredRecords(_ count: Int, into f: Fixture) async throws {
        try await f.sqliteExecute("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(count))
            INSERT INTO code_records (id, identifier_type, identifier_value, template_type, code_hash, created_at, expires_at)
            SELECT 'old' || i, 'email', 'old' || i || '@x.com', 'Generic', x'00', 0, 0 FROM n
            """)
    }
}
