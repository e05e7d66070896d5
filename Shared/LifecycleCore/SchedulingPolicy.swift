import CLinux
import ConfigCore

/// `PASSCODE_SCHED_BATCH` (default on): each service runs its threads under Linux's `SCHED_BATCH`
/// policy (sched(7)), which differs from the default only in that a thread it wakes does not
/// preempt the thread running on that CPU; it runs when that one blocks or its time slice ends.
/// Priorities and the share of CPU against other processes are unchanged, and needs no privilege.
///
/// Why (issue 7): a request passes gateway → verifier loop → store thread and back, each hand-off a
/// wake-up. Under the default policy the woken thread preempted the waker at once, so the gateway
/// was switched out in the middle of its loop turn right after each `sendmsg` of an RPC frame, and
/// the verifier likewise: `perf` put about a fifth of the gateway's and verifier's samples in the
/// scheduler's context switch. Measured on 2 cores, alternating 5 s rounds of the same build with
/// and without: verify-miss at 16 connections +13% (ahead in 10 of 12), CPU per request −9%;
/// send+verify at 16 connections +5%, CPU per flow −10%; at 64 connections, where batches are
/// larger and there are fewer hand-offs per request, no difference.
///
/// `0` leaves the policy a service was started with.
public enum SchedulingPolicy {
    public static let variable = "PASSCODE_SCHED_BATCH"

    /// Applies the setting to the calling thread, and so to every thread it starts from now on: call
    /// it first thing in `main`, before the service starts its loops and workers. A kernel that
    /// refuses (a seccomp filter, say) leaves the default policy: the service runs the same, only
    /// without the gain.
    public static func apply(_ environment: Environment) throws {
        guard try environment.bool(variable, default: true) else { return }
        _ = clinux_sched_batch()
    }

    /// `SCHED_BATCH`'s number, as `/proc/<pid>/task/<tid>/stat` shows a thread's policy (the
    /// default, `SCHED_OTHER`, is 0).
    public static let batch: Int32 = 3
}
