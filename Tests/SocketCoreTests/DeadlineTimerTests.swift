import Foundation
import Testing
import TestSupport
@testable import SocketCore

/// `DeadlineTimer`: a deadline moved and dropped often, with a loop timer only when needed.
@Suite struct DeadlineTimerTests {
    /// Holds the timer under test between loop turns (it is only ever touched on the loop).
    final class Holder: @unchecked Sendable {
        var timer: DeadlineTimer?
    }

    /// A loop and a timer on it that records when it expires. Tests measure from instants taken on
    /// the loop thread when they arm it, so a test task that waits for a thread on a loaded machine
    /// does not count.
    private func withTimer(
        _ name: String, _ body: (EventLoop, Holder, Recorder<ContinuousClock.Instant>) async throws -> Void
    ) async throws {
        let loop = try EventLoop(name: name)
        defer { loop.shutdown() }
        let holder = Holder(), fired = Recorder<ContinuousClock.Instant>()
        try await loop.submit {
            holder.timer = DeadlineTimer(loop: loop) { fired.append(ContinuousClock.now) }
        }
        try await body(loop, holder, fired)
    }

    @Test func expiresAtTheDeadlineAndOnce() async throws {
        try await withTimer("deadline") { (loop, holder, fired) async throws in
            let armed = try await loop.submit {
                let now = ContinuousClock.now
                holder.timer?.arm(after: .milliseconds(50))
                return now
            }
            try await waitUntil("expiry") { fired.count == 1 }
            try await Task.sleep(for: .milliseconds(100))
            #expect(fired.count == 1)
            let after = try #require(fired.all.first) - armed
            #expect(after >= .milliseconds(50))
            #expect(try await loop.submit { holder.timer?.deadline == nil && holder.timer?.isScheduled == false })
        }
    }

    /// Re-armed later before the first deadline: the loop timer already pending fires at the old
    /// deadline, finds the new one not yet due and waits for it; nothing fires early.
    @Test func aDeadlineMovedLaterFiresAtTheNewOne() async throws {
        try await withTimer("later") { (loop, holder, fired) async throws in
            let rearmed = Recorder<ContinuousClock.Instant>()
            try await loop.submit {
                holder.timer?.arm(after: .milliseconds(40))
                loop.scheduleTimer(after: .milliseconds(20)) {
                    rearmed.append(ContinuousClock.now)
                    holder.timer?.arm(after: .milliseconds(100))
                }
            }
            try await waitUntil("expiry") { fired.count == 1 }
            let after = try #require(fired.all.first) - (try #require(rearmed.all.first))
            #expect(after >= .milliseconds(100))
            try await Task.sleep(for: .milliseconds(60))
            #expect(fired.count == 1)
        }
    }

    /// Re-armed earlier: the pending loop timer would be too late, so it is replaced.
    @Test func aDeadlineMovedEarlierFiresEarly() async throws {
        try await withTimer("earlier") { (loop, holder, fired) async throws in
            let armed = try await loop.submit {
                holder.timer?.arm(after: .seconds(600))
                let now = ContinuousClock.now
                holder.timer?.arm(after: .milliseconds(30))
                return now
            }
            try await waitUntil("expiry", timeout: .seconds(120)) { fired.count == 1 }
            let after = try #require(fired.all.first) - armed
            #expect(after >= .milliseconds(30))
            #expect(after < .seconds(120)) // not the first deadline, 600 s away
        }
    }

    /// Disarmed: the loop timer still fires once, finds no deadline and runs nothing.
    @Test func aDisarmedDeadlineNeverFires() async throws {
        try await withTimer("disarm") { (loop, holder, fired) async throws in
            let pendingAfterDisarm = try await loop.submit {
                holder.timer?.arm(after: .milliseconds(30))
                holder.timer?.disarm()
                return holder.timer?.isScheduled == true
            }
            #expect(pendingAfterDisarm)
            try await waitUntil("the loop timer to pass") { try await loop.submit { holder.timer?.isScheduled == false } }
            try await Task.sleep(for: .milliseconds(50))
            #expect(fired.count == 0)
        }
    }

    /// Every request re-arms the deadline (a keep-alive connection): one loop timer serves them all.
    @Test func rearmingOftenSchedulesOneLoopTimer() async throws {
        try await withTimer("often") { (loop, holder, fired) async throws in
            let (scheduled, stillPending) = try await loop.submit {
                let before = loop.timersScheduled
                var pending = Set<Bool>()
                for _ in 0..<1000 {
                    holder.timer?.arm(after: .seconds(60))
                    holder.timer?.disarm()
                    pending.insert(holder.timer?.isScheduled ?? false)
                }
                holder.timer?.arm(after: .seconds(60))
                return (loop.timersScheduled - before, pending)
            }
            #expect(scheduled == 1)
            #expect(stillPending == [true])
            #expect(try await loop.submit { loop.liveTimerCount } == 1)
            try await loop.submit { holder.timer?.cancel() }
            #expect(try await loop.submit { holder.timer?.isScheduled == false })
            #expect(fired.count == 0)
        }
    }

    /// Armed again after it fired: fires again.
    @Test func rearmedAfterExpiryFiresAgain() async throws {
        try await withTimer("again") { (loop, holder, fired) async throws in
            try await loop.submit { holder.timer?.arm(after: .milliseconds(10)) }
            try await waitUntil("first expiry") { fired.count == 1 }
            try await loop.submit { holder.timer?.arm(after: .milliseconds(10)) }
            try await waitUntil("second expiry") { fired.count == 2 }
        }
    }
}
