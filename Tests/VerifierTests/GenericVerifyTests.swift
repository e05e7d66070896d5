import Contracts
import Testing
@testable import VerifierService

/// The Management API's verify order (API.md §2.2, §4), for every store.
@Suite struct GenericVerifyTests {
    @Test(arguments: StoreFactory.all)
    func unknownIdentifierIsNotFound(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            await expectFailure("verification_code.not_found") { try await f.verifyGeneric(.email("nobody@x.com"), "123456") }
        }
    }

    @Test(arguments: StoreFactory.all)
    func correctCodeSucceedsWithTheRecordID(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let issued = try await f.generic(email: "a@x.com")
            #expect(issued.code.count == 6)
            #expect(issued.verificationId.count == 35)
            let result = try await f.verifyGeneric(.email("a@x.com"), issued.code)
            #expect(result.verificationId == issued.verificationId)
        }
    }

    /// Record ids sort in the order the records were made (time first), so a moment's sends share
    /// the last pages of the store's indexes on the id instead of a random page each.
    @Test(arguments: StoreFactory.all)
    func recordIdsSortInTheOrderTheRecordsWereMade(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            var ids: [String] = []
            for (n, step) in [0, 0.002, 0.002, 2, 86_400].enumerated() {
                f.clock.advance(step)
                let issued = try await f.generic(email: "order\(n)@x.com")
                #expect(Int(issued.verificationId.prefix(9), radix: 36) == Int((f.clock.now * 1000).rounded()))
                ids.append(issued.verificationId)
            }
            #expect(ids == ids.sorted())
            #expect(Set(ids).count == ids.count)
        }
    }

    /// SQLite: a used Generic code is deleted at once, not marked and left for the next send or
    /// the purge (each of those was another write of its pages); an interaction's record stays,
    /// marked, because the interaction lists it as verified.
    @Test func aUsedGenericCodeIsDeletedAndAnInteractionsRecordIsKept() async throws {
        try await withFixture(.sqlite) { f in
            let generic = try await f.generic(email: "a@x.com")
            let other = try await f.generic(email: "b@x.com")
            _ = try await f.verifyGeneric(.email("a@x.com"), generic.code)
            #expect(try await f.sqliteScalar("SELECT COUNT(*) FROM code_records WHERE id = '\(generic.verificationId)'") == 0)
            #expect(try await f.sqliteScalar("SELECT COUNT(*) FROM code_records WHERE id = '\(other.verificationId)' AND consumed = 0") == 1)
            await expectFailure("verification_code.not_found") { try await f.verifyGeneric(.email("a@x.com"), generic.code) }

            let i = try await f.startInteraction()
            let scoped = try await f.issue(in: i, .email("a@x.com"))
            _ = try await f.verify(in: i, .email("a@x.com"), id: scoped.verificationId, code: scoped.code)
            #expect(try await f.sqliteScalar("SELECT consumed FROM code_records WHERE id = '\(scoped.verificationId)'") == 1)
        }
    }

    @Test(arguments: StoreFactory.all)
    func secondVerifyOfAConsumedCodeIsNotFound(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let issued = try await f.generic(email: "a@x.com")
            _ = try await f.verifyGeneric(.email("a@x.com"), issued.code)
            await expectFailure("verification_code.not_found") { try await f.verifyGeneric(.email("a@x.com"), issued.code) }
        }
    }

    @Test(arguments: StoreFactory.all)
    func wrongCodeIsCodeMismatch(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let issued = try await f.generic(phone: "15550001111")
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.phone("15550001111"), wrong(issued.code)) }
            // A mismatch does not consume: the right code still works.
            _ = try await f.verifyGeneric(.phone("15550001111"), issued.code)
        }
    }

    @Test(arguments: StoreFactory.all)
    func identifierIsComparedExactly(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let issued = try await f.generic(email: "Foo@X.com")
            await expectFailure("verification_code.not_found") { try await f.verifyGeneric(.email("foo@x.com"), issued.code) }
            await expectFailure("verification_code.not_found") { try await f.verifyGeneric(.phone("Foo@X.com"), issued.code) }
            _ = try await f.verifyGeneric(.email("Foo@X.com"), issued.code)
        }
    }

    @Test(arguments: StoreFactory.all)
    func expiredCodeIsExpiredEvenWhenCorrect(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.codeTTL = 60 }) { f in
            let onTime = try await f.generic(email: "a@x.com")
            let late = try await f.generic(email: "b@x.com")
            // Expired means createdAt + lifetime < now (API.md §4): at exactly the lifetime it still works.
            f.clock.advance(60)
            _ = try await f.verifyGeneric(.email("a@x.com"), onTime.code)
            f.clock.advance(0.5)
            await expectFailure("verification_code.expired") { try await f.verifyGeneric(.email("b@x.com"), late.code) }
        }
    }

    @Test(arguments: StoreFactory.all)
    func expiredVerifiesDoNotCountAttempts(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.maxAttempts = 2 }) { f in
            let issued = try await f.generic(email: "a@x.com")
            f.clock.advance(601)
            for _ in 0..<5 {
                await expectFailure("verification_code.expired") { try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code)) }
            }
            f.clock.advance(-601)
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code)) }
            _ = try await f.verifyGeneric(.email("a@x.com"), issued.code)
        }
    }

    @Test(arguments: StoreFactory.all)
    func exceedMaxTryRefusesEvenTheCorrectCode(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.maxAttempts = 3 }) { f in
            let issued = try await f.generic(email: "a@x.com")
            for _ in 0..<3 {
                await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code)) }
            }
            await expectFailure("verification_code.exceed_max_try") { try await f.verifyGeneric(.email("a@x.com"), issued.code) }
            await expectFailure("verification_code.exceed_max_try") { try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code)) }
        }
    }

    @Test(arguments: StoreFactory.all)
    func expiredIsCheckedBeforeExceedMaxTry(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.maxAttempts = 1 }) { f in
            let issued = try await f.generic(email: "a@x.com")
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code)) }
            f.clock.advance(601)
            await expectFailure("verification_code.expired") { try await f.verifyGeneric(.email("a@x.com"), issued.code) }
        }
    }

    @Test(arguments: StoreFactory.all)
    func resendInvalidatesPreviousGenericCode(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let first = try await f.generic(email: "a@x.com")
            let second = try await f.generic(email: "a@x.com")
            if first.code != second.code {
                await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), first.code) }
            }
            let result = try await f.verifyGeneric(.email("a@x.com"), second.code)
            #expect(result.verificationId == second.verificationId)
        }
    }

    @Test(arguments: StoreFactory.all)
    func resendForAnotherIdentifierLeavesTheCodeValid(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let mine = try await f.generic(email: "a@x.com")
            _ = try await f.generic(email: "A@x.com")
            _ = try await f.generic(phone: "15550001111")
            _ = try await f.verifyGeneric(.email("a@x.com"), mine.code)
        }
    }

    @Test(arguments: StoreFactory.all)
    func codeLengthFollowsConfiguration(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.codeLength = 10 }) { f in
            let issued = try await f.generic(email: "a@x.com")
            #expect(issued.code.count == 10)
            #expect(issued.code.allSatisfy { $0.isASCII && $0.isNumber })
            _ = try await f.verifyGeneric(.email("a@x.com"), issued.code)
        }
    }

    @Test(arguments: StoreFactory.all)
    func codeExpiresAtIssueTimePlusTTL(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.codeTTL = 120 }) { f in
            let issued = try await f.generic(email: "a@x.com")
            #expect(issued.expiresAt == f.clock.now + 120)
        }
    }

    @Test(arguments: StoreFactory.all)
    func oversizeIdentifierIsInvalidInput(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let long = String(repeating: "a", count: 300) + "@x.com"
            await expectFailure("guard.invalid_input") { try await f.generic(email: long) }
            await expectFailure("guard.invalid_input") { try await f.verifyGeneric(.email(long), "123456") }
            await expectFailure("guard.invalid_input") { try await f.generic(email: "") }
        }
    }

    @Test(arguments: StoreFactory.all)
    func absurdCodeIsAMismatchNotACrash(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            _ = try await f.generic(email: "a@x.com")
            let huge = String(repeating: "9", count: 100_000)
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), huge) }
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), "ab\u{0}c") }
        }
    }
}
