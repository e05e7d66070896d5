import Contracts
import Foundation
import Synchronization
import Testing
import TestSupport
@testable import VerifierService

/// Verify-miss throughput of one verifier on SQLite with 1,000 and 1,000,000 live Generic records,
/// under 64 concurrent callers (issue 7). A measurement, not a gate: it runs only with
/// `PASSCODE_HEAVY_TESTS=1`, prints its figures and checks that every verify answered
/// `code_mismatch`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PASSCODE_HEAVY_TESTS"] == "1"), .serialized)
struct StoreScaleTests {
    static let callers = 64
    static let warmup = 5_000
    static let verifies = 20_000
    static let config = Fixture.config { $0.maxAttempts = 1_000 }

    /// The store as opened before issue 7: SQLite's default 2 MiB page cache
    /// (`PASSCODE_SCALE_PRAGMAS` puts other settings in its place, to compare them).
    static let defaultCache = StoreFactory(name: "sqlite") { dir in
        let store = try SQLiteStore(path: dir + "/passcode.sqlite")
        try store.db.execute(ProcessInfo.processInfo.environment["PASSCODE_SCALE_PRAGMAS"] ?? "PRAGMA cache_size = -2000")
        return store
    }

    @Test(arguments: [1_000, 1_000_000], [false, true])
    func verifyMissThroughputAtScale(records: Int, tunedCache: Bool) async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.seed(records: records, path: dir + "/passcode.sqlite")
        try await withFixture(tunedCache ? .sqlite : Self.defaultCache, config: Self.config, directory: dir) { f in
            _ = try await Self.run(f, count: Self.warmup, callers: Self.callers, records: records, offset: 0)
            var offset = Self.warmup
            // One caller: every verify is a lone job, its own transaction, as before group commit.
            for (callers, count) in [(1, Self.verifies / 10), (Self.callers, Self.verifies)] {
                let commitsBefore = try await Self.commits(f)
                let storeBefore = try await Self.storeThreadCPU(f)
                let cpuBefore = Self.cpuSeconds()
                let (unexpected, seconds) = try await Self.run(f, count: count, callers: callers, records: records, offset: offset)
                let cpu = Self.cpuSeconds() - cpuBefore
                let store = try await Self.storeThreadCPU(f) - storeBefore
                let commits = try await Self.commits(f) - commitsBefore
                offset += count
                func micros(_ seconds: Double) -> Int { Int(seconds / Double(count) * 1e6) }
                print("SCALE sqlite verify-miss: \(records) records, \(tunedCache ? "tuned" : "default") cache, "
                      + "\(callers) callers, \(count) verifies, \(Int(Double(count) / seconds))/s, "
                      + "\(String(format: "%.3f", Double(commits) / Double(count))) commits/verify, "
                      + "store thread \(micros(store)) µs/verify, process CPU \(micros(cpu)) µs/verify, RSS \(Self.residentMiB()) MiB")
                #expect(unexpected == 0)
            }
        }
    }

    /// Writes `records` live Generic records straight into a fresh store file, in one transaction.
    static func seed(records: Int, path: String) throws {
        let store = try SQLiteStore(path: path)
        var random = SeededGenerator(seed: 7)
        try store.db.immediateTransaction {
            for n in 0..<records {
                let hash = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
                try store.db.run("""
                    INSERT INTO code_records (id, interaction_id, identifier_type, identifier_value, template_type,
                                              code_hash, created_at, expires_at)
                    VALUES (?, NULL, 'email', ?, 'Generic', ?, 0, 4000000000)
                    """, [.text("record\(n)"), .text("user\(n)@x.com"), .blob(hash)])
            }
        }
    }

    /// `count` verify-miss calls spread over the records in a scattered order, from `callers` tasks.
    static func run(_ f: Fixture, count: Int, callers: Int, records: Int, offset: Int) async throws -> (unexpected: Int, seconds: Double) {
        let counters = ScaleCounters()
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    while true {
                        let n = counters.next.add(1, ordering: .relaxed).oldValue
                        guard n < count else { return }
                        // A multiplicative hash scatters neighbouring n over the whole table.
                        let index = Int((UInt64(n + offset) &* 0x9E37_79B9_7F4A_7C15) >> 11) % records
                        // Never a code we issue (those are digits only), so always a miss.
                        let error = await failure { try await f.verifyGeneric(.email("user\(index)@x.com"), "x00000") }
                        if error?.code != "verification_code.code_mismatch" { counters.unexpected.add(1, ordering: .relaxed) }
                    }
                }
            }
        }
        let elapsed = (ContinuousClock.now - start).components
        return (counters.unexpected.load(ordering: .relaxed), Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
    }

    /// Transactions the store's connection has committed so far.
    static func commits(_ f: Fixture) async throws -> Int {
        try await f.verifier.worker.perform { store in (store as? SQLiteStore)?.db.commits ?? 0 }
    }

    /// CPU time of the store's worker thread so far: the single writer's cost per verify, which
    /// bounds throughput whatever the callers cost (and debug-built callers cost a lot).
    static func storeThreadCPU(_ f: Fixture) async throws -> Double {
        try await f.verifier.worker.perform { _ in
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
    }

    /// User plus system CPU time of this process: steadier than wall time on a shared machine.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func residentMiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }
}

private final class ScaleCounters: Sendable {
    let next = Atomic(0)
    let unexpected = Atomic(0)
}
