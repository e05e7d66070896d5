import Foundation
import Contracts
import Testing
@testable import VerifierService

/// Exactness under concurrency (API.md §4 "[beyond] Concurrency", issue 3): one verifier, and two
/// verifiers sharing one store.
@Suite struct ConcurrencyTests {
    /// Runs `count` calls of `body` at once and returns each outcome: nil for success, else the code.
    static func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) async throws -> T)
        async -> [String?] {
        await withTaskGroup(of: String?.self) { group in
            for n in 0..<count {
                group.addTask {
                    do {
                        _ = try await body(n)
                        return nil
                    } catch {
                        return (error as? ServiceError)?.code ?? "not a ServiceError: \(error)"
                    }
                }
            }
            var out: [String?] = []
            for await outcome in group { out.append(outcome) }
            return out
        }
    }

    static func tally(_ outcomes: [String?]) -> [String: Int] {
        outcomes.reduce(into: [:]) { $0[$1 ?? "success", default: 0] += 1 }
    }

    @Test(arguments: StoreFactory.all)
    func fiftyConcurrentGenericVerifiesOfOneCodeSucceedOnce(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let issued = try await f.generic(email: "a@x.com")
            let outcomes = await Self.concurrently(50) { _ in
                try await f.verifyGeneric(.email("a@x.com"), issued.code)
            }
            #expect(Self.tally(outcomes) == ["success": 1, "verification_code.not_found": 49])
        }
    }

    @Test(arguments: StoreFactory.all)
    func fiftyConcurrentInteractionVerifiesOfOneCodeSucceedOnce(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let i = try await f.startInteraction()
            let issued = try await f.issue(in: i, .email("a@x.com"))
            let outcomes = await Self.concurrently(50) { _ in
                try await f.verify(in: i, .email("a@x.com"), id: issued.verificationId, code: issued.code)
            }
            #expect(Self.tally(outcomes)["success"] == 1)
            #expect(Self.tally(outcomes)["verification_code.not_found"] == 49)
        }
    }

    @Test(arguments: StoreFactory.all)
    func fortyConcurrentWrongAttemptsCountExactlyTen(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let issued = try await f.generic(email: "a@x.com")
            let outcomes = await Self.concurrently(40) { _ in
                try await f.verifyGeneric(.email("a@x.com"), wrong(issued.code))
            }
            #expect(Self.tally(outcomes) == ["verification_code.code_mismatch": 10, "verification_code.exceed_max_try": 30])
        }
    }

    @Test(arguments: StoreFactory.all)
    func twentyParallelIssuesWithCapTenPassExactlyTen(_ store: StoreFactory) async throws {
        try await withFixture(store) { f in
            let outcomes = await Self.concurrently(20) { _ in try await f.generic(email: "a@x.com") }
            #expect(Self.tally(outcomes) == ["success": 10, "request.message_rate_limited": 10])
        }
    }

    @Test(arguments: StoreFactory.all)
    func twoVerifiersSharingAStoreStayExact(_ store: StoreFactory) async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await withFixture(store, directory: dir) { a in
            try await withFixture(store, directory: dir, clock: a.clock) { b in
                let sends = await Self.concurrently(20) { n in
                    try await (n % 2 == 0 ? a : b).generic(email: "shared@x.com")
                }
                #expect(Self.tally(sends) == ["success": 10, "request.message_rate_limited": 10])

                let issued = try await a.generic(email: "other@x.com")
                let wrongs = await Self.concurrently(40) { n in
                    try await (n % 2 == 0 ? a : b).verifyGeneric(.email("other@x.com"), wrong(issued.code))
                }
                #expect(Self.tally(wrongs) == ["verification_code.code_mismatch": 10, "verification_code.exceed_max_try": 30])

                let fresh = try await b.generic(email: "third@x.com")
                let rights = await Self.concurrently(50) { n in
                    try await (n % 2 == 0 ? a : b).verifyGeneric(.email("third@x.com"), fresh.code)
                }
                #expect(Self.tally(rights) == ["success": 1, "verification_code.not_found": 49])
            }
        }
    }
}
