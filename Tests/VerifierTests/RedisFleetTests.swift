import Contracts
import Foundation
import Testing
@testable import VerifierService

/// Two verifiers (two hosts of a fleet) on one Redis: every limit holds across both exactly as on
/// one host (issue 6).
@Suite struct RedisFleetTests {
    /// Runs `body` with two verifiers sharing one namespace on the suite's Redis and one clock.
    func withTwoVerifiers(config: VerifierConfig = VerifierConfig(), _ body: (Fixture, Fixture) async throws -> Void) async throws {
        let release = try RedisTestServer.acquireShared()
        defer { release() }
        let namespace = "fleet-" + UUID().uuidString.lowercased()
        let clock = TestClock()
        try await withRedisVerifier(RedisTestServer.sharedEndpoint, namespace: namespace, config: config, clock: clock) { a in
            try await withRedisVerifier(RedisTestServer.sharedEndpoint, namespace: namespace, config: config, clock: clock) { b in
                try await body(a, b)
            }
        }
    }

    @Test func codeSentThroughOneVerifiesThroughTheOther() async throws {
        try await withTwoVerifiers { a, b in
            let generic = try await a.generic(email: "a@x.com")
            _ = try await b.verifyGeneric(.email("a@x.com"), generic.code)
            let i = try await b.startInteraction()
            let scoped = try await a.issue(in: i, .phone("15550001111"))
            _ = try await b.verify(in: i, .phone("15550001111"), id: scoped.verificationId, code: scoped.code)
            let view = try await a.verifier.getInteraction(.init(interactionId: i))
            #expect(view.verificationRecords.map(\.verified) == [true])
        }
    }

    @Test func sendLimitCountsSendsThroughBothVerifiers() async throws {
        try await withTwoVerifiers { a, b in
            let i = try await a.startInteraction()
            for n in 0..<10 {
                let via = n % 2 == 0 ? a : b
                if n < 6 {
                    _ = try await via.generic(email: "Shared@x.com")
                } else {
                    _ = try await via.issue(in: i, .email("shared@X.com"), clientIP: "203.0.113.\(n)")
                }
            }
            await expectFailure("request.message_rate_limited") { try await a.generic(email: "shared@x.com") }
            await expectFailure("request.message_rate_limited") { try await b.issue(in: i, .email("shared@x.com"), clientIP: "198.51.100.1") }
        }
    }

    @Test func twentyConcurrentSendsSpreadOverBothPassExactlyTheLimit() async throws {
        try await withTwoVerifiers { a, b in
            let i = try await a.startInteraction()
            let outcomes = await ConcurrencyTests.concurrently(20) { n in
                let via = n % 2 == 0 ? a : b
                // Both routes, with and without a client IP: the single-script and the split issue.
                return n % 4 < 2 ? try await via.generic(email: "race@x.com")
                                 : try await via.issue(in: i, .email("race@x.com"), clientIP: "203.0.113.\(n)")
            }
            #expect(ConcurrencyTests.tally(outcomes) == ["success": 10, "request.message_rate_limited": 10])
        }
    }

    @Test func lockoutSetThroughOneBlocksTheOther() async throws {
        let config = Fixture.config { $0.lockoutAttempts = 5 }
        try await withTwoVerifiers(config: config) { a, b in
            let i = try await a.startInteraction()
            let issued = try await a.issue(in: i, .email("a@x.com"))
            for _ in 0..<4 {
                await expectFailure("verification_code.code_mismatch") {
                    try await a.verify(in: i, .email("a@x.com"), id: issued.verificationId, code: wrong(issued.code))
                }
            }
            await expectFailure("session.verification_blocked_too_many_attempts") {
                try await a.verify(in: i, .email("a@x.com"), id: issued.verificationId, code: wrong(issued.code))
            }
            await expectFailure("session.verification_blocked_too_many_attempts") {
                try await b.verify(in: i, .email("a@x.com"), id: issued.verificationId, code: issued.code)
            }
            let j = try await b.startInteraction()
            let other = try await b.issue(in: j, .email("a@x.com"))
            await expectFailure("session.verification_blocked_too_many_attempts") {
                try await b.verify(in: j, .email("a@x.com"), id: other.verificationId, code: other.code)
            }
        }
    }

    @Test func fiftyConcurrentVerifiesSpreadOverBothSucceedOnce() async throws {
        try await withTwoVerifiers { a, b in
            let generic = try await a.generic(email: "a@x.com")
            let genericOutcomes = await ConcurrencyTests.concurrently(50) { n in
                try await (n % 2 == 0 ? a : b).verifyGeneric(.email("a@x.com"), generic.code)
            }
            #expect(ConcurrencyTests.tally(genericOutcomes) == ["success": 1, "verification_code.not_found": 49])

            let i = try await b.startInteraction()
            let scoped = try await b.issue(in: i, .email("a@x.com"))
            let scopedOutcomes = await ConcurrencyTests.concurrently(50) { n in
                try await (n % 2 == 0 ? a : b).verify(in: i, .email("a@x.com"), id: scoped.verificationId, code: scoped.code)
            }
            #expect(ConcurrencyTests.tally(scopedOutcomes) == ["success": 1, "verification_code.not_found": 49])
        }
    }

    @Test func fortyConcurrentWrongAttemptsCountExactlyMaxAttempts() async throws {
        try await withTwoVerifiers { a, b in
            let generic = try await a.generic(email: "a@x.com")
            let genericOutcomes = await ConcurrencyTests.concurrently(40) { n in
                try await (n % 2 == 0 ? a : b).verifyGeneric(.email("a@x.com"), wrong(generic.code))
            }
            #expect(ConcurrencyTests.tally(genericOutcomes) == ["verification_code.code_mismatch": 10, "verification_code.exceed_max_try": 30])

            let i = try await a.startInteraction()
            let scoped = try await a.issue(in: i, .phone("15550001111"))
            let scopedOutcomes = await ConcurrencyTests.concurrently(40) { n in
                try await (n % 2 == 0 ? a : b).verify(in: i, .phone("15550001111"), id: scoped.verificationId, code: wrong(scoped.code))
            }
            #expect(ConcurrencyTests.tally(scopedOutcomes) == ["verification_code.code_mismatch": 10, "verification_code.exceed_max_try": 30])
        }
    }

    /// The sentinel counts failures exactly across verifiers: with a limit of 30, exactly 29
    /// failures are answered as themselves and every other one as blocked, however they race.
    @Test func concurrentFailuresOverBothLockAtExactlyTheLimit() async throws {
        let config = Fixture.config { $0.lockoutAttempts = 30; $0.maxAttempts = 100 }
        try await withTwoVerifiers(config: config) { a, b in
            let i = try await a.startInteraction()
            let issued = try await a.issue(in: i, .email("target@x.com"))
            let outcomes = await ConcurrencyTests.concurrently(120) { n in
                try await (n % 2 == 0 ? a : b).verify(in: i, .email("target@x.com"), id: issued.verificationId, code: wrong(issued.code))
            }
            let tally = ConcurrencyTests.tally(outcomes)
            #expect(tally["verification_code.code_mismatch"] == 29)
            #expect(tally["session.verification_blocked_too_many_attempts"] == 91)
        }
    }
}
