import Contracts
import Testing
@testable import VerifierService

/// The verify lockout sentinel (API.md §5.2), with a limit of 5.
@Suite struct LockoutTests {
    static let config = Fixture.config {
        $0.lockoutAttempts = 5
        $0.lockoutMinutes = 1
        $0.lockoutWindow = 300
    }

    @Test(arguments: StoreFactory.all)
    func fifthFailureAndLaterCorrectCodeAreBlocked(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Self.config) { f in
            let i = try await f.startInteraction()
            let id = Identifier.email("a@x.com")
            let issued = try await f.issue(in: i, id)
            for _ in 0..<4 {
                await expectFailure("verification_code.code_mismatch") {
                    try await f.verify(in: i, id, id: issued.verificationId, code: wrong(issued.code))
                }
            }
            await expectFailure("session.verification_blocked_too_many_attempts") {
                try await f.verify(in: i, id, id: issued.verificationId, code: wrong(issued.code))
            }
            await expectFailure("session.verification_blocked_too_many_attempts") {
                try await f.verify(in: i, id, id: issued.verificationId, code: issued.code)
            }
            // Whatever the record state: an unknown id is blocked too.
            await expectFailure("session.verification_blocked_too_many_attempts") {
                try await f.verify(in: i, id, id: "0123456789abcdefghijklmnop", code: issued.code)
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func lockEndsAfterTheLockTime(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Self.config) { f in
            let i = try await f.startInteraction()
            let id = Identifier.email("a@x.com")
            let issued = try await f.issue(in: i, id)
            for _ in 0..<5 { _ = await failure { try await f.verify(in: i, id, id: issued.verificationId, code: wrong(issued.code)) } }
            f.clock.advance(59)
            await expectFailure("session.verification_blocked_too_many_attempts") {
                try await f.verify(in: i, id, id: issued.verificationId, code: issued.code)
            }
            f.clock.advance(1)
            _ = try await f.verify(in: i, id, id: issued.verificationId, code: issued.code)
        }
    }

    @Test(arguments: StoreFactory.all)
    func firstFailureAfterALockDoesNotLockAgain(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Self.config) { f in
            let i = try await f.startInteraction()
            let id = Identifier.email("a@x.com")
            let issued = try await f.issue(in: i, id)
            for _ in 0..<5 { _ = await failure { try await f.verify(in: i, id, id: issued.verificationId, code: wrong(issued.code)) } }
            f.clock.advance(60)
            await expectFailure("verification_code.code_mismatch") {
                try await f.verify(in: i, id, id: issued.verificationId, code: wrong(issued.code))
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func everyFailureKindCountsAcrossInteractions(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Self.config) { f in
            let id = Identifier.email("a@x.com")
            let first = try await f.startInteraction()
            let a = try await f.issue(in: first, id)
            await expectFailure("verification_code.not_found") { try await f.verify(in: first, id, id: a.verificationId, code: "") }
            await expectFailure("verification_code.code_mismatch") {
                try await f.verify(in: first, id, id: a.verificationId, code: wrong(a.code))
            }
            let second = try await f.startInteraction()
            let b = try await f.issue(in: second, .email("b@x.com"))
            // Counted against the submitted identifier value a@x.com.
            await expectFailure("verification_code.email_mismatch") { try await f.verify(in: second, id, id: b.verificationId, code: b.code) }
            _ = try await f.verify(in: first, id, id: a.verificationId, code: a.code)
            await expectFailure("verification_code.not_found") { try await f.verify(in: first, id, id: a.verificationId, code: a.code) }
            await expectFailure("session.verification_blocked_too_many_attempts") {
                try await f.verify(in: first, id, id: a.verificationId, code: "")
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func otherIdentifiersAreNotBlocked(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Self.config) { f in
            let i = try await f.startInteraction()
            let locked = try await f.issue(in: i, .email("a@x.com"))
            for _ in 0..<5 {
                _ = await failure { try await f.verify(in: i, .email("a@x.com"), id: locked.verificationId, code: wrong(locked.code)) }
            }
            let other = try await f.issue(in: i, .phone("15550001111"))
            _ = try await f.verify(in: i, .phone("15550001111"), id: other.verificationId, code: other.code)
            // The exact value is locked; a differently-cased address is another identifier.
            let j = try await f.startInteraction()
            let cased = try await f.issue(in: j, .email("A@x.com"))
            _ = try await f.verify(in: j, .email("A@x.com"), id: cased.verificationId, code: cased.code)
        }
    }

    @Test(arguments: StoreFactory.all)
    func failuresOutsideTheWindowDoNotCount(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Self.config) { f in
            let i = try await f.startInteraction()
            let id = Identifier.email("a@x.com")
            let issued = try await f.issue(in: i, id)
            for _ in 0..<4 { _ = await failure { try await f.verify(in: i, id, id: issued.verificationId, code: wrong(issued.code)) } }
            f.clock.advance(301)
            let code = try await f.issue(in: i, id)
            await expectFailure("verification_code.code_mismatch") {
                try await f.verify(in: i, id, id: code.verificationId, code: wrong(code.code))
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func unknownVerificationIDsAndGenericVerifiesDoNotCount(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Self.config) { f in
            let i = try await f.startInteraction()
            let id = Identifier.email("a@x.com")
            let issued = try await f.issue(in: i, id)
            for _ in 0..<10 {
                await expectFailure("session.verification_session_not_found") {
                    try await f.verify(in: i, id, id: "0123456789abcdefghijklmnop", code: issued.code)
                }
                await expectFailure("verification_code.not_found") { try await f.verifyGeneric(id, "123456") }
            }
            for _ in 0..<4 {
                await expectFailure("verification_code.code_mismatch") {
                    try await f.verify(in: i, id, id: issued.verificationId, code: wrong(issued.code))
                }
            }
            _ = try await f.verify(in: i, id, id: issued.verificationId, code: issued.code)
        }
    }

    @Test(arguments: StoreFactory.all)
    func lockoutDoesNotApplyToTheManagementAPI(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Self.config) { f in
            let i = try await f.startInteraction()
            let id = Identifier.email("a@x.com")
            let issued = try await f.issue(in: i, id)
            for _ in 0..<5 { _ = await failure { try await f.verify(in: i, id, id: issued.verificationId, code: wrong(issued.code)) } }
            let generic = try await f.generic(email: "a@x.com")
            _ = try await f.verifyGeneric(id, generic.code)
        }
    }
}
