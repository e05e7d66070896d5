import Foundation
import LifecycleCore
import Testing
import TestSupport

/// `PASSCODE_SCHED_BATCH` (issue 7): the services run every thread under `SCHED_BATCH` unless it is
/// `0`, read from each thread of a real `passcode up`'s children in `/proc`.
@Suite struct SchedulingPolicyTests {
    /// The `policy` field (the 41st) of each thread of `pid`, by thread name.
    static func policies(of pid: Int32) throws -> [(thread: String, policy: Int32)] {
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        return try tasks.map { tid in
            let stat = try String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8)
            // The name is in parentheses and may hold spaces; the fields after it start at the 3rd.
            let open = try #require(stat.firstIndex(of: "(")), close = try #require(stat.lastIndex(of: ")"))
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            let policy = try #require(Int32(fields[41 - 3]))
            return (String(stat[stat.index(after: open)..<close]), policy)
        }
    }

    @Test func everyServiceThreadRunsUnderSchedBatchByDefault() throws {
        let p = try PasscodeProcess()
        defer { p.stop() }
        for service in ["gateway", "verifier", "connector"] {
            let pid = try #require(p.childPID(service))
            let threads = try Self.policies(of: pid)
            #expect(threads.count >= 2, "\(service): \(threads)")
            for thread in threads {
                #expect(thread.policy == SchedulingPolicy.batch, "\(service) thread \(thread.thread)")
            }
        }
    }

    @Test func zeroLeavesTheDefaultPolicy() throws {
        let p = try PasscodeProcess(environment: [SchedulingPolicy.variable: "0"])
        defer { p.stop() }
        for service in ["gateway", "verifier", "connector"] {
            let pid = try #require(p.childPID(service))
            for thread in try Self.policies(of: pid) {
                #expect(thread.policy == 0, "\(service) thread \(thread.thread)")
            }
        }
    }

    @Test func aValueThatIsNotABooleanIsRefused() async throws {
        let dir = try TestDirectory(prefix: "sb")
        defer { dir.remove() }
        let refusal = await #expect(throws: ServiceExecutableError.self) {
            _ = try await ServiceExecutable.start("verifier", dataDirectory: dir.path, environment: [SchedulingPolicy.variable: "maybe"],
                                                  timeout: .seconds(10))
        }
        #expect(refusal?.description.contains(SchedulingPolicy.variable) == true, "\(String(describing: refusal))")
    }
}
