import Foundation
import Synchronization
import Testing
import TestSupport
@testable import SocketCore

@Suite struct EventLoopTests {
    @Test func timersFireInDeadlineOrder() async throws {
        let loop = try EventLoop(name: "timers")
        defer { loop.shutdown() }
        let fired = Recorder<Int>()
        try await loop.submit {
            loop.scheduleTimer(after: .milliseconds(30)) { fired.append(3) }
            loop.scheduleTimer(after: .milliseconds(10)) { fired.append(1) }
            loop.scheduleTimer(after: .milliseconds(20)) { fired.append(2) }
            loop.scheduleTimer(after: .milliseconds(20)) { fired.append(22) }
        }
        try await waitUntil("timers") { fired.count == 4 }
        #expect(fired.all == [1, 2, 22, 3])
    }

    @Test func cancelledTimerNeverFires() async throws {
        let loop = try EventLoop(name: "cancel")
        defer { loop.shutdown() }
        let fired = Recorder<String>()
        try await loop.submit {
            let doomed = loop.scheduleTimer(after: .milliseconds(5)) { fired.append("cancelled") }
            loop.scheduleTimer(after: .milliseconds(40)) { fired.append("kept") }
            loop.cancelTimer(doomed)
        }
        try await waitUntil("kept timer") { fired.count >= 1 }
        #expect(fired.all == ["kept"])
    }

    @Test func timerFiresOnTimeWhileLoopIsIdle() async throws {
        let loop = try EventLoop(name: "idle")
        defer { loop.shutdown() }
        let clock = ContinuousClock()
        let start = clock.now
        let fired = Recorder<Duration>()
        try await loop.submit { loop.scheduleTimer(after: .milliseconds(50)) { fired.append(clock.now - start) } }
        try await waitUntil("timer") { fired.count == 1 }
        let after = try #require(fired.all.first)
        #expect(after >= .milliseconds(50))
        #expect(after < .milliseconds(1000))
    }

    @Test func executeFromOtherThreadsWakesTheLoop() async throws {
        let loop = try EventLoop(name: "wake")
        defer { loop.shutdown() }
        let onLoop = Counter()
        let ran = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<500 {
                        loop.execute {
                            if loop.inEventLoop { onLoop.increment() }
                            ran.increment()
                        }
                    }
                }
            }
        }
        try await waitUntil("all work") { ran.count == 4000 }
        #expect(onLoop.count == 4000)
    }

    @Test func executorPreferenceKeepsTaskOnLoopAcrossAwaits() async throws {
        let loop = try EventLoop(name: "exec")
        defer { loop.shutdown() }
        let other = try EventLoop(name: "other")
        defer { other.shutdown() }
        let observations = await Task(executorPreference: loop) { () -> [Bool] in
            var seen = [loop.inEventLoop]
            // Resumed from another loop's thread: the task must come back to `loop`.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                other.execute { continuation.resume() }
            }
            seen.append(loop.inEventLoop)
            try? await Task.sleep(for: .milliseconds(2))
            seen.append(loop.inEventLoop)
            await Task.yield()
            seen.append(loop.inEventLoop)
            return seen
        }.value
        #expect(observations == [true, true, true, true])
    }

    @Test func continuationResumedOnLoopContinuesOnLoop() async throws {
        let loop = try EventLoop(name: "resume")
        defer { loop.shutdown() }
        let result = await Task(executorPreference: loop) { () -> Bool in
            let value = await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
                loop.scheduleTimer(after: .milliseconds(1)) { continuation.resume(returning: 7) }
            }
            return value == 7 && loop.inEventLoop
        }.value
        #expect(result)
    }

    @Test func groupHandsOutLoopsRoundRobin() async throws {
        let group = try EventLoopGroup(threads: 3)
        defer { group.shutdown() }
        let picked = (0..<6).map { _ in ObjectIdentifier(group.next()) }
        #expect(Set(picked).count == 3)
        #expect(picked[0] == picked[3] && picked[1] == picked[4] && picked[2] == picked[5])
    }

    @Test func shutdownDeliversLoopShutdownToRegistrations() async throws {
        let loop = try EventLoop(name: "stop")
        let seen = Recorder<Bool>()
        // A Unix socket in a directory of this test's own: after the shutdown nothing else can be
        // listening there (a TCP port, once free, could be taken by a parallel test at once).
        let directory = try TestDirectory()
        defer { directory.remove() }
        let path = directory.file("stop.sock")
        _ = try await startEchoListener(on: loop, address: .unix(path: path))
        #expect(throws: Never.self) { _ = try RawSocket(connectingTo: .unix(path: path)) }
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        let readEnd = ends[0]
        try await loop.submit {
            _ = try loop.register(fd: readEnd, interest: .readable) { events in seen.append(events.contains(.loopShutdown)) }
        }
        await loop.shutdownGracefully()
        #expect(seen.all == [true])
        // The listener closed its socket on shutdown: nothing listens there any more.
        #expect(throws: RawSocket.Failure.self) { _ = try RawSocket(connectingTo: .unix(path: path)) }
    }

    @Test func raisingTheDescriptorLimitReachesAtLeastTheOldLimit() {
        #expect(FileDescriptorLimit.raiseToMaximum() >= 256)
    }
}
