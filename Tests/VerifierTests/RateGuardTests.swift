import Contracts
import Testing
@testable import VerifierService

/// The send rate guard (API.md §5.1).
@Suite struct RateGuardTests {
    @Test(arguments: StoreFactory.all)
    func eleventhSendWithinTheWindowIsRateLimitedWithRetryAfter(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            _ = try await f.generic(email: "a@x.com")
            f.clock.advance(100)
            for _ in 0..<9 { _ = try await f.generic(email: "a@x.com") }
            let error = await failure { try await f.generic(email: "a@x.com") }
            #expect(error?.code == "request.message_rate_limited")
            #expect(error?.status == 429)
            // The oldest send leaves the 600 s window 500 s from now.
            #expect(error?.retryAfter == 500)
        }
    }

    @Test(arguments: StoreFactory.all)
    func bucketUsesTheNormalizedRecipient(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            for i in 0..<10 { _ = try await f.generic(email: i % 2 == 0 ? "Foo@X.com" : "foo@x.com") }
            await expectFailure("request.message_rate_limited") { try await f.generic(email: "FOO@x.COM") }
        }
    }

    @Test(arguments: StoreFactory.all)
    func bothSendRoutesShareTheBucket(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            for _ in 0..<5 { _ = try await f.generic(phone: "15550001111") }
            for _ in 0..<5 { _ = try await f.issue(in: i, .phone("15550001111")) }
            await expectFailure("request.message_rate_limited") { try await f.issue(in: i, .phone("15550001111")) }
            await expectFailure("request.message_rate_limited") { try await f.generic(phone: "15550001111") }
        }
    }

    @Test(arguments: StoreFactory.all)
    func otherRecipientsAreUnaffected(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            for _ in 0..<10 { _ = try await f.generic(email: "a@x.com") }
            await expectFailure("request.message_rate_limited") { try await f.generic(email: "a@x.com") }
            _ = try await f.generic(email: "b@x.com")
            _ = try await f.generic(phone: "15550001111")
        }
    }

    @Test(arguments: StoreFactory.all)
    func refusedSendCreatesNothing(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.sendLimit = 1 }) { f in
            let issued = try await f.generic(email: "a@x.com")
            await expectFailure("request.message_rate_limited") { try await f.generic(email: "a@x.com") }
            // The earlier code was not replaced by the refused send.
            _ = try await f.verifyGeneric(.email("a@x.com"), issued.code)
        }
    }

    @Test(arguments: StoreFactory.all)
    func windowSlidesOpenAgain(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.sendLimit = 2; $0.sendWindow = 60 }) { f in
            _ = try await f.generic(email: "a@x.com")
            f.clock.advance(30)
            _ = try await f.generic(email: "a@x.com")
            await expectFailure("request.message_rate_limited") { try await f.generic(email: "a@x.com") }
            f.clock.advance(30)
            _ = try await f.generic(email: "a@x.com")
            await expectFailure("request.message_rate_limited") { try await f.generic(email: "a@x.com") }
        }
    }

    @Test(arguments: StoreFactory.all)
    func releasedSlotDoesNotCountAndTheRecordStays(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            var last = try await f.issue(in: i, .email("a@x.com"))
            for _ in 0..<9 { last = try await f.issue(in: i, .email("a@x.com")) }
            _ = try await f.verifier.releaseSlot(.init(verificationId: last.verificationId))
            // Releasing twice gives back nothing more.
            _ = try await f.verifier.releaseSlot(.init(verificationId: last.verificationId))
            let retry = try await f.issue(in: i, .email("a@x.com"))
            await expectFailure("request.message_rate_limited") { try await f.issue(in: i, .email("a@x.com")) }
            _ = try await f.verify(in: i, .email("a@x.com"), id: retry.verificationId, code: retry.code)
        }
    }

    @Test(arguments: StoreFactory.all)
    func releasedSlotRecordStillVerifies(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            let issued = try await f.issue(in: i, .email("a@x.com"))
            _ = try await f.verifier.releaseSlot(.init(verificationId: issued.verificationId))
            _ = try await f.verify(in: i, .email("a@x.com"), id: issued.verificationId, code: issued.code)
        }
    }

    @Test(arguments: StoreFactory.all)
    func releasingAnUnknownIDIsHarmless(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let result = try await f.verifier.releaseSlot(.init(verificationId: "0123456789abcdefghijklmnop"))
            #expect(result == Empty())
            _ = try await f.verifier.releaseSlot(.init(verificationId: ""))
        }
    }

    @Test(arguments: StoreFactory.all)
    func perClientIPCapIsRequestRateLimited(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.ipSendLimit = 3; $0.ipSendWindow = 100 }) { f in
            let i = try await f.startInteraction()
            for n in 0..<3 { _ = try await f.issue(in: i, .email("user\(n)@x.com"), clientIP: "203.0.113.9") }
            f.clock.advance(10)
            let error = await failure { try await f.issue(in: i, .email("user9@x.com"), clientIP: "203.0.113.9") }
            #expect(error?.code == "request.rate_limited")
            #expect(error?.status == 429)
            #expect(error?.retryAfter == 90)
            // Another client, and the Management API (no client IP), are not limited by it.
            _ = try await f.issue(in: i, .email("user9@x.com"), clientIP: "198.51.100.7")
            _ = try await f.generic(email: "user9@x.com")
        }
    }

    @Test(arguments: StoreFactory.all)
    func clientRefusalTakesNoRecipientSlot(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.ipSendLimit = 1; $0.sendLimit = 2 }) { f in
            let i = try await f.startInteraction()
            _ = try await f.issue(in: i, .email("a@x.com"), clientIP: "203.0.113.9")
            for _ in 0..<3 {
                await expectFailure("request.rate_limited") { try await f.issue(in: i, .email("b@x.com"), clientIP: "203.0.113.9") }
            }
            // b@x.com still has both of its slots.
            _ = try await f.generic(email: "b@x.com")
            _ = try await f.generic(email: "b@x.com")
            let view = try await f.verifier.getInteraction(.init(interactionId: i))
            #expect(view.verificationRecords.map(\.identifier) == [.email("a@x.com")])
        }
    }

    @Test(arguments: StoreFactory.all)
    func resendCooldownRefusesAnEarlySend(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.resendCooldown = 60 }) { f in
            _ = try await f.generic(email: "a@x.com")
            f.clock.advance(20)
            let error = await failure { try await f.generic(email: "A@X.com") }
            #expect(error?.code == "request.message_rate_limited")
            #expect(error?.retryAfter == 40)
            _ = try await f.generic(email: "b@x.com")
            f.clock.advance(40)
            _ = try await f.generic(email: "a@x.com")
        }
    }

    @Test(arguments: StoreFactory.all)
    func releasedSendStartsNoCooldown(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.resendCooldown = 60 }) { f in
            let issued = try await f.generic(email: "a@x.com")
            _ = try await f.verifier.releaseSlot(.init(verificationId: issued.verificationId))
            _ = try await f.generic(email: "a@x.com")
        }
    }
}
