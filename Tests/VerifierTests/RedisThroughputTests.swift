import Contracts
import Foundation
import Synchronization
import Testing
@testable import VerifierService

/// Verify throughput, SQLite vs Redis, in one run (issue 6 "Measure and report"). A measurement,
/// not a gate: it runs only with `PASSCODE_BENCH=1`, prints its numbers and checks that every
/// verify succeeded.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PASSCODE_BENCH"] == "1"), .serialized)
struct RedisThroughputTests {
    static let codes = 4000
    static let tasks = 32
    static let config = Fixture.config { $0.sendLimit = 100_000 }

    /// Issues `count` Generic codes through `issuer`, then verifies them all with `tasks` concurrent
    /// tasks spread over `verifiers`; returns verifies per second.
    static func measure(issuer: Fixture, verifiers: [Fixture], label: String) async throws -> Double {
        var issued: [(String, String)] = []
        for n in 0..<codes {
            let email = "bench\(n)@x.com"
            issued.append((email, try await issuer.generic(email: email).code))
        }
        let work = issued
        let counters = Counters()
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<tasks {
                group.addTask {
                    let verifier = verifiers[t % verifiers.count]
                    while true {
                        let n = counters.next.add(1, ordering: .relaxed).oldValue
                        guard n < work.count else { return }
                        do {
                            _ = try await verifier.verifyGeneric(.email(work[n].0), work[n].1)
                        } catch {
                            counters.failures.add(1, ordering: .relaxed)
                        }
                    }
                }
            }
        }
        let elapsed = (ContinuousClock.now - start).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        let rate = Double(codes) / seconds
        print("THROUGHPUT \(label): \(codes) verifies, \(tasks) tasks, \(String(format: "%.0f", rate))/s")
        #expect(counters.failures.load(ordering: .relaxed) == 0)
        return rate
    }

    @Test func verifyThroughputSQLiteVsRedis() async throws {
        _ = try await withFixture(.sqlite, config: Self.config) { f in
            try await Self.measure(issuer: f, verifiers: [f], label: "sqlite, one verifier")
        }
        _ = try await withFixture(.redis, config: Self.config) { f in
            try await Self.measure(issuer: f, verifiers: [f], label: "redis, one verifier (4 threads)")
        }
        let release = try RedisTestServer.acquireShared()
        defer { release() }
        let namespace = "bench-" + UUID().uuidString.lowercased()
        _ = try await withRedisVerifier(RedisTestServer.sharedEndpoint, namespace: namespace, config: Self.config) { a in
            try await withRedisVerifier(RedisTestServer.sharedEndpoint, namespace: namespace, config: Self.config) { b in
                try await Self.measure(issuer: a, verifiers: [a, b], label: "redis, two verifiers")
            }
        }
    }
}

private final class Counters: Sendable {
    let next = Atomic(0)
    let failures = Atomic(0)
}
