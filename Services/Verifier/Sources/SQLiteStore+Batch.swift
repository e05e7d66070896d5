/// Group commit (issue 7): every verify-miss is a write, and one `BEGIN IMMEDIATE … COMMIT` per
/// request was the verifier's ceiling. A batch of queued jobs now shares one transaction, so the
/// commit (and its WAL append) is paid once per batch.
extension SQLiteStore {
    /// Enough to absorb a burst from many connections while one transaction stays a few
    /// milliseconds long.
    static let batchLimit = 128
    var maxBatch: Int { Self.batchLimit }

    /// A lone step runs as before, in the transaction its store method opens (no wrapping, so it
    /// costs what it did). Several run inside one `BEGIN IMMEDIATE`: first all together
    /// (`runTogether`); if one of them throws, that attempt is rolled back whole and the batch runs
    /// again with each step in a savepoint, so the step that throws is rolled back to its savepoint
    /// alone and its neighbours stand. Every step of a transaction whose `COMMIT` fails is undone
    /// and gets that error. If SQLite ends the transaction by itself mid-batch (it does after e.g.
    /// SQLITE_FULL), the steps run in it so far are lost with that error and the rest go on in a
    /// fresh transaction.
    func runBatch(_ count: Int, _ step: (_ index: Int) throws -> Void) -> [(any Error)?] {
        guard count > 1 else {
            if count == 1 { try? step(0) }
            return [(any Error)?](repeating: nil, count: count)
        }
        if let together = runTogether(count, step) { return together }
        var undone = [(any Error)?](repeating: nil, count: count)
        var next = 0
        while next < count {
            let first = next
            do {
                try db.beginImmediate()
            } catch {
                for index in first..<count { undone[index] = error }
                return undone
            }
            var lost: (any Error)?
            while next < count, lost == nil {
                let index = next
                next += 1
                do {
                    try db.run("SAVEPOINT job")
                } catch {
                    lost = error
                    break
                }
                var failure: (any Error)?
                do { try step(index) } catch { failure = error }
                guard db.inTransaction else {
                    lost = failure ?? SQLiteError(code: 1, message: "the batch's transaction ended inside a job")
                    break
                }
                if failure == nil {
                    do {
                        try db.run("RELEASE job")
                        continue
                    } catch {
                        undone[index] = error
                    }
                }
                // The job failed (or could not be released): undo it alone. Misses it appended
                // and counted are undone with it, so the ledger reads the log again.
                attempts.invalidate()
                genericRecords.clear()
                do {
                    try db.run("ROLLBACK TO job")
                    try db.run("RELEASE job")
                } catch {
                    lost = error
                }
            }
            if let lost {
                _ = try? db.run("ROLLBACK")
                for index in first..<next { undone[index] = lost }
                continue
            }
            do {
                try db.run("COMMIT")
            } catch {
                // A failed COMMIT may leave the transaction open (SQLITE_BUSY, a deferred
                // constraint); end it so the next batch starts clean.
                _ = try? db.run("ROLLBACK")
                for index in first..<next { undone[index] = error }
            }
        }
        return undone
    }

    /// The usual case, tried first: every step in one transaction, with no savepoints. Steps only
    /// throw for SQLite's errors, so nearly every batch commits here. Nil when a step threw or the
    /// transaction ended early: everything has been rolled back (the attempt ledger sees that
    /// through the connection's rollback count and re-reads the log), and the caller runs the
    /// batch again in savepoints. Running a step twice is safe: a step only reads and writes the
    /// store, which the rollback has restored, and only the second run's result is answered
    /// (`StoreWorker.run` keeps the last).
    ///
    /// Why (issue 7): a `SAVEPOINT` and a `RELEASE` per step were two more statements for every
    /// wrong guess. Measured with `BENCH_CONNECTIONS=16 bench/instructions`: the verifier's
    /// instructions per wrong guess fell from 72,700 to 67,700.
    private func runTogether(_ count: Int, _ step: (_ index: Int) throws -> Void) -> [(any Error)?]? {
        do {
            try db.beginImmediate()
        } catch {
            return [(any Error)?](repeating: error, count: count)
        }
        for index in 0..<count {
            var failed = false
            do { try step(index) } catch { failed = true }
            if failed || !db.inTransaction {
                if db.inTransaction { _ = try? db.run("ROLLBACK") }
                return nil
            }
        }
        do {
            try db.run("COMMIT")
        } catch {
            _ = try? db.run("ROLLBACK")
            return [(any Error)?](repeating: error, count: count)
        }
        return [(any Error)?](repeating: nil, count: count)
    }
}
