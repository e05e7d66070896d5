import Contracts
import Foundation
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
}
