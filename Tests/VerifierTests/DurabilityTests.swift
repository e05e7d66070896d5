import ConfigCore
import Contracts
import CryptoCore
import Foundation
import Testing
@testable import VerifierService

/// What survives a restart or a crash, key rotation, and what is (not) on disk.
@Suite struct DurabilityTests {
    @Test(arguments: StoreFactory.all)
    func liveCodesStillVerifyAfterReopeningTheStore(_ store: StoreFactory) async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = TestClock()
        let (interaction, generic, scoped) = try await withFixture(store, directory: dir, clock: clock) { f in
            let i = try await f.startInteraction()
            return (i, try await f.generic(email: "a@x.com"), try await f.issue(in: i, .phone("15550001111")))
        }
        try await withFixture(store, directory: dir, clock: clock) { f in
            _ = try await f.verifyGeneric(.email("a@x.com"), generic.code)
            _ = try await f.verify(in: interaction, .phone("15550001111"), id: scoped.verificationId, code: scoped.code)
        }
    }

    /// Wrong guesses are durable: a restart hands no one a fresh budget (issue 7 moved the SQLite
    /// store's counts to an in-memory ledger over an append-only log, read again at open).
    @Test(arguments: StoreFactory.all)
    func missesStillCountAfterReopeningTheStore(_ store: StoreFactory) async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = TestClock()
        let config = Fixture.config { $0.maxAttempts = 3 }
        let (generic, interaction, scoped) = try await withFixture(store, config: config, directory: dir, clock: clock) { f in
            let generic = try await f.generic(email: "a@x.com")
            let i = try await f.startInteraction()
            let scoped = try await f.issue(in: i, .phone("15550001111"))
            for _ in 0..<2 {
                await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(generic.code)) }
                await expectFailure("verification_code.code_mismatch") {
                    try await f.verify(in: i, .phone("15550001111"), id: scoped.verificationId, code: wrong(scoped.code))
                }
            }
            return (generic, i, scoped)
        }
        try await withFixture(store, config: config, directory: dir, clock: clock) { f in
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(generic.code)) }
            await expectFailure("verification_code.exceed_max_try") { try await f.verifyGeneric(.email("a@x.com"), generic.code) }
            await expectFailure("verification_code.code_mismatch") {
                try await f.verify(in: interaction, .phone("15550001111"), id: scoped.verificationId, code: wrong(scoped.code))
            }
            await expectFailure("verification_code.exceed_max_try") {
                try await f.verify(in: interaction, .phone("15550001111"), id: scoped.verificationId, code: scoped.code)
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func keyRotationKeepsCodesIssuedUnderTheOldSecretValid(_ store: StoreFactory) async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = TestClock()
        let (underA, alsoUnderA) = try await withFixture(store, secrets: ServerSecrets(primary: secretA), directory: dir, clock: clock) { f in
            (try await f.generic(email: "a@x.com"), try await f.generic(email: "b@x.com"))
        }
        let underB = try await withFixture(store, secrets: ServerSecrets(primary: secretB, previous: [secretA]), directory: dir,
                                           clock: clock) { f in
            _ = try await f.verifyGeneric(.email("a@x.com"), underA.code)
            return try await f.generic(email: "c@x.com")
        }
        // Once A is dropped, its codes stop working; B's keep working.
        try await withFixture(store, secrets: ServerSecrets(primary: secretB), directory: dir, clock: clock) { f in
            await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("b@x.com"), alsoUnderA.code) }
            _ = try await f.verifyGeneric(.email("c@x.com"), underB.code)
        }
    }

    /// What a SIGKILL leaves behind is the database file and its WAL as they are on disk at that
    /// moment. Copying both while the verifier is still running (never closed) and opening the copy
    /// is that state exactly: every issued code is there, and a consumed one stays consumed.
    @Test func sqliteFilesLeftByAKilledProcessKeepEveryCommittedStep() async throws {
        let crashed = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: crashed) }
        let clock = TestClock()
        let (live, consumed) = try await withFixture(.sqlite, clock: clock) { f in
            let live = try await f.generic(email: "live@x.com")
            let consumed = try await f.generic(email: "used@x.com")
            _ = try await f.verifyGeneric(.email("used@x.com"), consumed.code)
            for name in try FileManager.default.contentsOfDirectory(atPath: f.directory) where !name.hasSuffix("-shm") {
                try FileManager.default.copyItem(atPath: f.directory + "/" + name, toPath: crashed + "/" + name)
            }
            return (live, consumed)
        }
        #expect(FileManager.default.fileExists(atPath: crashed + "/passcode.sqlite-wal"))
        try await withFixture(.sqlite, directory: crashed, clock: clock) { f in
            _ = try await f.verifyGeneric(.email("live@x.com"), live.code)
            await expectFailure("verification_code.not_found") { try await f.verifyGeneric(.email("used@x.com"), consumed.code) }
        }
    }

    @Test func databaseFilesNeverContainAPlaintextCode() async throws {
        try await withFixture(.sqlite, config: Fixture.config { $0.codeLength = 10 }) { f in
            var codes: [String] = []
            let i = try await f.startInteraction()
            for n in 0..<5 {
                codes.append(try await f.generic(email: "user\(n)@x.com").code)
                codes.append(try await f.issue(in: i, n % 2 == 0 ? .email("user\(n)@x.com") : .phone("1555000\(n)")).code)
            }
            var bytes: [UInt8] = []
            for name in try FileManager.default.contentsOfDirectory(atPath: f.directory) {
                bytes += Array(try Data(contentsOf: URL(fileURLWithPath: f.directory + "/" + name)))
            }
            #expect(bytes.count > 0)
            #expect(FileManager.default.fileExists(atPath: f.directory + "/passcode.sqlite-wal"))
            for code in codes {
                #expect(bytes.firstRange(of: Array(code.utf8)) == nil)
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func logLinesNeverContainACode(_ store: StoreFactory) async throws {
        try await withFixture(store, config: Fixture.config { $0.codeLength = 10 }) { f in
            let issued = try await f.generic(email: "a@x.com")
            _ = await failure { try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code)) }
            _ = try await f.verifyGeneric(.email("a@x.com"), issued.code)
            for line in f.log.lines {
                #expect(!line.contains(issued.code))
            }
        }
    }
}
