import Contracts
import Foundation
import Synchronization
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
            for n in 0..<Self.identifiers { _ = try await f.generic(email: "bench\(n)@x.com") }
            let counters = MissCounters()
            let start = ContinuousClock.now
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<tasks {
                    group.addTask {
                        while true {
                            let n = counters.next.add(1, ordering: .relaxed).oldValue
                            guard n < Self.verifies else { return }
                            // Never a code we issue (those are digits only), so always a miss.
                            let error = await failure { try await f.verifyGeneric(.email("bench\(n % Self.identifiers)@x.com"), "x00000") }
                            if error?.code != "verification_code.code_mismatch" { counters.unexpected.add(1, ordering: .relaxed) }
                        }
                    }
                }
            }
            let elapsed = (ContinuousClock.now - start).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            print("THROUGHPUT sqlite verify-miss: \(Self.verifies) verifies, \(tasks) tasks, \(String(format: "%.0f", Double(Self.verifies) / seconds))/s")
            #expect(counters.unexpected.load(ordering: .relaxed) == 0)
        }
    }
}

private final class MissCounters: Sendable {
    let next = Atomic(0)
    let unexpected = Atomic(0)
}
