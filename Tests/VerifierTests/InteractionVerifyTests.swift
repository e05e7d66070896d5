import Contracts
import Foundation
import Testing
@testable import VerifierService

/// The Experience API's verify order (API.md §3.2), interactions (§3) and their records.
@Suite struct InteractionVerifyTests {
    @Test(arguments: StoreFactory.all)
    func correctCodeVerifiesAndReturnsTheSameID(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            let issued = try await f.issue(in: i, .email("a@x.com"))
            let result = try await f.verify(in: i, .email("a@x.com"), id: issued.verificationId, code: issued.code)
            #expect(result.verificationId == issued.verificationId)
        }
    }

    /// Interaction ids, and the ids of their records, sort in the order they were made.
    @Test(arguments: StoreFactory.all)
    func interactionAndRecordIdsSortInTheOrderTheyWereMade(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            var interactions: [String] = []
            var records: [String] = []
            for step in [0, 0.002, 3, 600] {
                f.clock.advance(step)
                let i = try await f.startInteraction()
                #expect(i.utf8.count == 35)
                #expect(Int(i.prefix(9), radix: 36) == Int((f.clock.now * 1000).rounded()))
                interactions.append(i)
                f.clock.advance(0.002)
                records.append(try await f.issue(in: i, .email("a@x.com")).verificationId)
            }
            #expect(interactions == interactions.sorted())
            #expect(records == records.sorted())
            #expect(interactions.first! < records.first! && records.first! < interactions[1])
        }
    }

    @Test(arguments: StoreFactory.all)
    func secondVerifyOfAVerifiedRecordIsCodeNotFound(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            let issued = try await f.issue(in: i, .email("a@x.com"))
            _ = try await f.verify(in: i, .email("a@x.com"), id: issued.verificationId, code: issued.code)
            await expectFailure("verification_code.not_found") {
                try await f.verify(in: i, .email("a@x.com"), id: issued.verificationId, code: issued.code)
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func unknownInteractionIsSessionNotFound(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let ghost = "0123456789abcdefghijklmnop"
            await expectFailure("session.not_found") { try await f.issue(in: ghost, .email("a@x.com")) }
            await expectFailure("session.not_found") { try await f.verify(in: ghost, .email("a@x.com"), id: ghost, code: "123456") }
            await expectFailure("session.not_found") { try await f.verifier.getInteraction(.init(interactionId: ghost)) }
            await expectFailure("session.not_found") { try await f.verifier.resetInteraction(.init(interactionId: ghost, event: .register)) }
            await expectFailure("session.not_found") { try await f.verifier.getInteraction(.init(interactionId: "")) }
        }
    }

    @Test(arguments: StoreFactory.all)
    func interactionExpires3600SecondsAfterStart(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let started = try await f.verifier.startInteraction(.init(event: .signIn))
            #expect(started.expiresAt == f.clock.now + 3600)
            let issued = try await f.issue(in: started.interactionId, .email("a@x.com"))
            f.clock.advance(3599)
            _ = try await f.verifier.getInteraction(.init(interactionId: started.interactionId))
            f.clock.advance(1)
            await expectFailure("session.not_found") { try await f.verifier.getInteraction(.init(interactionId: started.interactionId)) }
            await expectFailure("session.not_found") {
                try await f.verify(in: started.interactionId, .email("a@x.com"), id: issued.verificationId, code: issued.code)
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func unknownVerificationIDIsVerificationSessionNotFound(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            await expectFailure("session.verification_session_not_found") {
                try await f.verify(in: i, .email("a@x.com"), id: "0123456789abcdefghijklmnop", code: "123456")
            }
            let issued = try await f.issue(in: i, .email("a@x.com"))
            await expectFailure("session.verification_session_not_found") {
                try await f.verify(in: i, .email("a@x.com"), id: "0123456789abcdefghijklmnop", code: issued.code)
            }
            await expectFailure("session.verification_session_not_found") {
                try await f.verify(in: i, .email("a@x.com"), id: String(repeating: "z", count: 5000), code: issued.code)
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func recordOfTheOtherIdentifierTypeIsVerificationSessionNotFound(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            let issued = try await f.issue(in: i, .email("a@x.com"))
            await expectFailure("session.verification_session_not_found") {
                try await f.verify(in: i, .phone("15550001111"), id: issued.verificationId, code: issued.code)
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func recordsBelongToTheirInteraction(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let mine = try await f.startInteraction()
            let other = try await f.startInteraction()
            let issued = try await f.issue(in: mine, .email("a@x.com"))
            _ = try await f.issue(in: other, .email("a@x.com"))
            await expectFailure("session.verification_session_not_found") {
                try await f.verify(in: other, .email("a@x.com"), id: issued.verificationId, code: issued.code)
            }
            _ = try await f.verify(in: mine, .email("a@x.com"), id: issued.verificationId, code: issued.code)
        }
    }

    @Test(arguments: StoreFactory.all)
    func emptyCodeIsCodeNotFound(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            let issued = try await f.issue(in: i, .email("a@x.com"))
            await expectFailure("verification_code.not_found") { try await f.verify(in: i, .email("b@x.com"), id: issued.verificationId, code: "") }
        }
    }

    @Test(arguments: StoreFactory.all)
    func differentEmailIsEmailMismatch(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            let issued = try await f.issue(in: i, .email("a@x.com"))
            await expectFailure("verification_code.email_mismatch") {
                try await f.verify(in: i, .email("A@x.com"), id: issued.verificationId, code: issued.code)
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func differentPhoneIsPhoneMismatch(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            let issued = try await f.issue(in: i, .phone("15550001111"))
            await expectFailure("verification_code.phone_mismatch") {
                try await f.verify(in: i, .phone("15550002222"), id: issued.verificationId, code: issued.code)
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func identifierMismatchIsCheckedBeforeExpiry(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            let issued = try await f.issue(in: i, .email("a@x.com"))
            f.clock.advance(601)
            await expectFailure("verification_code.email_mismatch") {
                try await f.verify(in: i, .email("b@x.com"), id: issued.verificationId, code: issued.code)
            }
            await expectFailure("verification_code.expired") {
                try await f.verify(in: i, .email("a@x.com"), id: issued.verificationId, code: issued.code)
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func expiredThenExceedThenMismatchOrder(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.maxAttempts = 2 }) { f in
            let i = try await f.startInteraction()
            let id = Identifier.email("a@x.com")
            let issued = try await f.issue(in: i, id)
            for _ in 0..<2 {
                await expectFailure("verification_code.code_mismatch") {
                    try await f.verify(in: i, id, id: issued.verificationId, code: wrong(issued.code))
                }
            }
            await expectFailure("verification_code.exceed_max_try") {
                try await f.verify(in: i, id, id: issued.verificationId, code: issued.code)
            }
            f.clock.advance(601)
            await expectFailure("verification_code.expired") {
                try await f.verify(in: i, id, id: issued.verificationId, code: issued.code)
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func missingVerificationIDIsInvalidInput(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            await expectFailure("guard.invalid_input") {
                try await f.verifier.verify(.init(scope: .interaction(i), identifier: .email("a@x.com"), verificationId: nil, code: "1"))
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func newSendOfATypeReplacesThatTypesRecordOnly(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            let phone = try await f.issue(in: i, .phone("15550001111"))
            let first = try await f.issue(in: i, .email("a@x.com"))
            let second = try await f.issue(in: i, .email("b@x.com"))
            await expectFailure("session.verification_session_not_found") {
                try await f.verify(in: i, .email("a@x.com"), id: first.verificationId, code: first.code)
            }
            _ = try await f.verify(in: i, .email("b@x.com"), id: second.verificationId, code: second.code)
            _ = try await f.verify(in: i, .phone("15550001111"), id: phone.verificationId, code: phone.code)
        }
    }

    @Test(arguments: StoreFactory.all)
    func resetForgetsRecordsAndRenewsTheInteraction(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction(.signIn)
            let issued = try await f.issue(in: i, .email("a@x.com"))
            f.clock.advance(3000)
            let handle = try await f.verifier.resetInteraction(.init(interactionId: i, event: .register))
            #expect(handle.interactionId == i)
            #expect(handle.expiresAt == f.clock.now + 3600)
            await expectFailure("session.verification_session_not_found") {
                try await f.verify(in: i, .email("a@x.com"), id: issued.verificationId, code: issued.code)
            }
            let view = try await f.verifier.getInteraction(.init(interactionId: i))
            #expect(view.interactionEvent == .register)
            #expect(view.verificationRecords.isEmpty)
            f.clock.advance(3000)
            _ = try await f.verifier.getInteraction(.init(interactionId: i))
        }
    }

    @Test(arguments: StoreFactory.all)
    func getShowsRecordsButNeverCodes(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction(.forgotPassword)
            let email = try await f.issue(in: i, .email("a@x.com"))
            let phone = try await f.issue(in: i, .phone("15550001111"))
            _ = try await f.verify(in: i, .phone("15550001111"), id: phone.verificationId, code: phone.code)
            let view = try await f.verifier.getInteraction(.init(interactionId: i))
            #expect(view.interactionEvent == .forgotPassword)
            let byType = Dictionary(uniqueKeysWithValues: view.verificationRecords.map { ($0.type, $0) })
            #expect(byType["EmailVerificationCode"] == VerificationRecordView(
                id: email.verificationId, type: "EmailVerificationCode", identifier: .email("a@x.com"), templateType: .signIn, verified: false))
            #expect(byType["PhoneVerificationCode"] == VerificationRecordView(
                id: phone.verificationId, type: "PhoneVerificationCode", identifier: .phone("15550001111"), templateType: .signIn, verified: true))
            let json = String(decoding: try JSONEncoder().encode(view), as: UTF8.self)
            #expect(!json.contains(email.code))
            #expect(!json.contains(phone.code))
        }
    }

    @Test(arguments: StoreFactory.all)
    func interactionIDsAreLongRandomAlphanumerics(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let a = try await f.startInteraction()
            let b = try await f.startInteraction()
            #expect(a != b)
            #expect(a.count >= 21 && a.utf8.allSatisfy { (48...57).contains($0) || (97...122).contains($0) })
        }
    }
}
