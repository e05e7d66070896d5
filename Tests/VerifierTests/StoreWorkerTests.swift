import Contracts
import Dispatch
import Foundation
import SocketCore
import Testing
@testable import VerifierService

@Suite struct StoreWorkerTests {
    @Test func jobsRunOnOneDedicatedThread() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let worker = StoreWorker(name: "test-store") { try SQLiteStore(path: dir + "/passcode.sqlite") }
        var threads = Set<UInt>()
        var order: [Int] = []
        for n in 0..<20 {
            let (thread, echoed) = try await worker.perform { _ in (UInt(bitPattern: Int(bitPattern: pthread_self())), n) }
            threads.insert(thread)
            order.append(echoed)
        }
        #expect(threads.count == 1)
        #expect(order == Array(0..<20))
        await worker.stop()
    }

    @Test func jobsAfterStopFailAndStoppingTwiceReturns() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let worker = StoreWorker(name: "test-store") { try SQLiteStore(path: dir + "/passcode.sqlite") }
        try await worker.perform { try $0.ping() }
        await worker.stop()
        await worker.stop()
        await #expect(throws: StoreWorkerError.self) { try await worker.perform { try $0.ping() } }
    }

    @Test func openFailureFailsEveryJobWithTheOpenError() async throws {
        let worker = StoreWorker(name: "test-store") { try SQLiteStore(path: "/nonexistent-dir/nested/x.sqlite") }
        await #expect(throws: SQLiteError.self) { try await worker.perform { try $0.ping() } }
        await #expect(throws: SQLiteError.self) { try await worker.perform { try $0.ping() } }
        await worker.stop()
    }

    // MARK: On an event loop (the verifier process's SQLite store)

    @Test func onALoopJobsRunOnTheLoopThreadInOrder() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let loop = try EventLoop(name: "store-loop-test")
        let loopThread = try await loop.submit { UInt(bitPattern: Int(bitPattern: pthread_self())) }
        let worker = StoreWorker(name: "test-store", loop: loop) { try SQLiteStore(path: dir + "/passcode.sqlite") }
        var order: [Int] = []
        for n in 0..<20 {
            let (thread, echoed) = try await worker.perform { _ in (UInt(bitPattern: Int(bitPattern: pthread_self())), n) }
            #expect(thread == loopThread)
            order.append(echoed)
        }
        #expect(order == Array(0..<20))
        // From a task on the loop itself (how the RPC server calls it): no hop, same answers.
        let onLoop = try await Task(executorPreference: loop) {
            try await worker.perform { store in
                try store.createInteraction(id: "i1", event: .signIn, expiresAt: 2_000, now: 1_000)
                return UInt(bitPattern: Int(bitPattern: pthread_self()))
            }
        }.value
        #expect(onLoop == loopThread)
        await worker.stop()
        await #expect(throws: StoreWorkerError.self) { try await worker.perform { try $0.ping() } }
        await loop.shutdownGracefully()
    }

    /// Jobs that arrive while the loop is busy wait in the mailbox and then run as one batch (one
    /// transaction), not one loop step each.
    @Test func onALoopJobsQueuedWhileTheLoopIsBusyShareOneCommit() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let loop = try EventLoop(name: "store-loop-test")
        let worker = StoreWorker(name: "test-store", loop: loop) { try SQLiteStore(path: dir + "/passcode.sqlite") }
        let before = try await worker.perform { ($0 as! SQLiteStore).db.commits }
        let held = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        loop.execute {
            held.signal()
            release.wait()
        }
        held.wait()
        let results = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<16 {
                    group.addTask {
                        try await worker.perform { store in
                            try store.createInteraction(id: "i\(n)", event: .signIn, expiresAt: 2_000, now: 1_000)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        while worker.pendingJobs < 16 { try await Task.sleep(for: .milliseconds(2)) }
        release.signal()
        try await results.value
        let after = try await worker.perform { ($0 as! SQLiteStore).db.commits }
        #expect(after - before == 1)
        let stored = try await worker.perform { try ($0 as! SQLiteStore).db.scalar("SELECT COUNT(*) FROM interactions")?.int }
        #expect(stored == 16)
        await worker.stop()
        await loop.shutdownGracefully()
    }

    @Test func onALoopStopRunsTheQueuedJobsFirst() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let loop = try EventLoop(name: "store-loop-test")
        let worker = StoreWorker(name: "test-store", loop: loop) { try SQLiteStore(path: dir + "/passcode.sqlite") }
        let held = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        loop.execute {
            held.signal()
            release.wait()
        }
        held.wait()
        let queued = Task { try await worker.perform { try $0.createInteraction(id: "late", event: .signIn, expiresAt: 2_000, now: 1_000) } }
        while worker.pendingJobs < 1 { try await Task.sleep(for: .milliseconds(2)) }
        let stopped = Task { await worker.stop() }
        release.signal()
        try await queued.value
        await stopped.value
        await loop.shutdownGracefully()
        // The job's transaction committed before the store closed.
        let reopened = try SQLiteStore(path: dir + "/passcode.sqlite")
        #expect(try reopened.interaction(id: "late", now: 1_500) != nil)
    }

    @Test func onALoopOpenFailureFailsEveryJobWithTheOpenError() async throws {
        let loop = try EventLoop(name: "store-loop-test")
        let worker = StoreWorker(name: "test-store", loop: loop) { try SQLiteStore(path: "/nonexistent-dir/nested/x.sqlite") }
        await #expect(throws: SQLiteError.self) { try await worker.perform { try $0.ping() } }
        await #expect(throws: SQLiteError.self) { try await worker.perform { try $0.ping() } }
        await worker.stop()
        await loop.shutdownGracefully()
    }

    /// A loop that has stopped can run nothing: jobs fail at once instead of waiting forever, and
    /// `stop` returns.
    @Test(.timeLimit(.minutes(1))) func onAStoppedLoopJobsFailAndStopReturns() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let loop = try EventLoop(name: "store-loop-test")
        let worker = StoreWorker(name: "test-store", loop: loop) { try SQLiteStore(path: dir + "/passcode.sqlite") }
        try await worker.perform { try $0.ping() }
        await loop.shutdownGracefully()
        await #expect(throws: StoreWorkerError.self) { try await worker.perform { try $0.ping() } }
        await #expect(throws: StoreWorkerError.self) { try await worker.perform { try $0.ping() } }
        await worker.stop()
    }
}
