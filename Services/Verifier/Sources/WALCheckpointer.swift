import CSQLite
import Dispatch
import Synchronization
import SyncCore

/// Runs the SQLite store's WAL checkpoints on a thread of their own, so the single writer thread
/// never stops to copy pages back into the database file and sync it (issue 7).
///
/// Why: every failed attempt is a write. With many live records each write dirtied a different
/// page (fewer once attempts moved to the narrow `attempt_counts` table, migration 3; since
/// migration 4 they are appends to `attempt_log`, AttemptLedger.swift), and SQLite's
/// automatic checkpoint (every 1,000 WAL pages, run inside the writer's COMMIT)
/// writes those pages back at random offsets and syncs the file while every verify waits behind
/// it. Measured with `bench/run --quick`: 20,000 records ran at 0.72× the 1,000-record throughput
/// with p99 1.7×; with checkpoints off entirely, 0.91× and 1.15×.
///
/// How (sqlite.org/wal.html#checkpointing): the writer's automatic checkpoint is replaced by a WAL
/// hook (`sqlite3_wal_hook`) that, past `threshold` pages, wakes this thread, which runs a PASSIVE
/// checkpoint on its own connection: it copies what it can without blocking the writer or any
/// reader. Under steady writes the WAL is never found fully copied at the start of a transaction,
/// so it cannot restart from its beginning and keeps growing; past `writerLimit` pages (4 MiB)
/// the writer checkpoints itself once, which now costs little (this thread has copied almost
/// everything) and lets the next transaction restart the WAL: the file stays bounded.
/// Durability is unchanged: a commit is durable once in the WAL, checkpointed or not.
///
/// The two limits set the size of the writer's stall when it checkpoints (the frames this thread
/// has not copied yet, and the syncs). Measured (verify-miss, 1,000 vs 100,000 records, and the
/// send+verify flow at concurrency 16, alternating builds): 1,000 / 4,000 pages gave p99 40–60 ms
/// (verify-miss) and 55–78 ms (flow); 250 / 1,000 gave 15–29 ms and 30–38 ms, for about a tenth
/// less flow throughput at saturation (the flow writes about ten pages per code, so the writer
/// checkpoints more often: 1,477 against 1,657 flows/s, medians of 4 alternating rounds; the same
/// throughput for verify-miss). 500 / 2,000 sat in between (p99 43–45 ms, −8%); 125 / 500 cost the
/// flow a fifth; 1,000 / 16,000 doubled p99. Tail latency is what a sign-in page feels; the
/// saturated flow is a benchmark's corner, so 250 / 1,000.
///
/// Past the threshold, a new request waits until the WAL has grown by `requestStep` pages. Asking
/// at every commit ran one checkpoint per commit under steady writes: the next transaction began
/// while the last one's frames were being copied, so the WAL could not restart, stayed past the
/// threshold, and every commit woke this thread again for a copy and a sync of a page or two
/// (verify-miss at 16 connections: 7,268 wake-ups in 5 s, one per commit; with the step, 304).
/// The writer's own checkpoint at `writerLimit` then has at most a step's pages left to copy.
final class WALCheckpointer: Sendable {
    static let threshold: Int32 = 250
    static let writerLimit: Int32 = 1_000
    /// Past `threshold`, a new request waits until the WAL has grown by this many pages since the
    /// last one.
    static let requestStep: Int32 = 32

    private let connection: Connection
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let requested = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let completed = Atomic<Int>(0)
    /// The WAL's size in pages at the last request (the writer's thread only: the hook).
    private let requestedAt = Atomic<Int32>(0)

    /// The checkpoint connection. `@unchecked Sendable`, proof: after `init` hands it to the
    /// checkpoint thread, only that thread uses the handle (SQLite's multi-thread mode allows a
    /// connection to move between threads as long as two never use it at once), and that thread
    /// closes it before signalling `finished`.
    private final class Connection: @unchecked Sendable {
        let handle: OpaquePointer
        init(handle: OpaquePointer) { self.handle = handle }
    }

    /// Opens a second connection to `path`, through the writer's VFS `vfs`, and starts the
    /// checkpoint thread.
    init(path: String, vfs: String? = nil) throws {
        var db: OpaquePointer?
        _ = SQLiteConnection.libraryConfigured
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, vfs)
        guard rc == SQLITE_OK, let db else {
            let error = SQLiteError(code: rc, connection: db)
            sqlite3_close_v2(db)
            throw error
        }
        // Its own writes are checkpoints only; they never need the automatic one.
        sqlite3_wal_autocheckpoint(db, 0)
        connection = Connection(handle: db)
        do {
            // The thread holds this object until `stop`, which the store calls when it closes.
            try WorkerThread.start(name: "sqlite-checkpoint") { self.run() }
        } catch {
            sqlite3_close_v2(db)
            throw SQLiteError(code: SQLITE_ERROR, message: "cannot start the checkpoint thread: \(error)")
        }
    }

    private func run() {
        while true {
            wake.wait()
            if stopping.load(ordering: .acquiring) { break }
            requested.store(false, ordering: .releasing)
            let rc = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            if rc == SQLITE_OK { completed.add(1, ordering: .relaxed) }
        }
        sqlite3_close_v2(connection.handle)
        finished.signal()
    }

    /// Asks for a checkpoint soon; requests made while one is pending are merged.
    func request() {
        if !requested.exchange(true, ordering: .acquiringAndReleasing) { wake.signal() }
    }

    /// The writer's hook saw the WAL at `pages`, past `threshold`: asks for a checkpoint if it has
    /// grown by `requestStep` since the last request, or restarted since.
    private func grown(to pages: Int32) {
        let last = requestedAt.load(ordering: .relaxed)
        guard pages < last || pages - last >= Self.requestStep else { return }
        requestedAt.store(pages, ordering: .relaxed)
        request()
    }

    /// Checkpoints completed on this thread so far (tests).
    var completedCheckpoints: Int { completed.load(ordering: .relaxed) }

    /// Ends the thread and closes its connection; returns once both are done.
    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wake.signal()
        finished.wait()
    }

    /// Makes `writer` hand its checkpoints to this object. The writer must call `detach` (or close)
    /// before this object goes away: the hook holds an unretained reference.
    func attach(to writer: SQLiteConnection) {
        writer.setWALHook(Unmanaged.passUnretained(self).toOpaque()) { context, db, _, pages in
            guard let context else { return SQLITE_OK }
            if pages >= WALCheckpointer.writerLimit {
                // Fallen behind: bound the WAL here. BUSY (the thread is mid-checkpoint) just
                // means the next commit tries again.
                _ = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            } else if pages >= WALCheckpointer.threshold {
                Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().grown(to: pages)
            }
            return SQLITE_OK
        }
    }
}
