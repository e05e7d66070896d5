import Contracts
import Foundation
import Testing
@testable import VerifierService

/// Verify-miss throughput of one verifier on SQLite, the route the profile measures. A measurement,
/// not a gate: it runs only with `PASSCODE_BENCH=1`, prints its numbers and checks that every
/// verify answered `code_mismatch`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PASSCODE_BENCH"] == "1"), .serialized)
struct SQLiteThroughputTests {
    static let identifiers = 1000
    static let verifies = 20_000
    static let config = Fixture.config { $0.sendLimit = 100_000; $0.maxAttempts = 100 }

    @Test(arguments: [1, 4, 32])
    func verifyMissThroughput(tasks: Int) async throws {
        try await withFixture(.sqlite, config: Self.config) { f in
            for n in 0..<Self.identifiers { _ = try await f.generic(email: "user\(n)@x.com") }
            let (unexpected, seconds) = try await StoreScaleTests.run(f, count: Self.verifies, callers: tasks,
                                                                      records: Self.identifiers, offset: 0)
            print("THROUGHPUT sqlite verify-miss: \(Self.verifies) verifies, \(tasks) tasks, \(String(format: "%.0f", Double(Self.verifies) / seconds))/s")
            #expect(unexpected == 0)
        }
    }
}
