import Contracts
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
}
