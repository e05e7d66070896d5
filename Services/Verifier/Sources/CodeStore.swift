import Contracts

/// Durable state of the verifier: interactions, code records (hashed), send slots, verify failures
/// and lockouts.
///
/// Each method is ONE atomic step (a SQLite `BEGIN IMMEDIATE` transaction, or a part of a
/// group-commit batch's transaction that is undone alone if it fails; in a Redis store, one Lua
/// script), so several verifiers sharing a store stay exact. Methods are synchronous and called only
/// from the store's own worker thread; every one takes `now` (Unix seconds) so tests control time.
///
/// A store never sees a plaintext code: it gets HMACs computed in Swift (Redis Lua cannot compute
/// HMAC). A Generic record's id salts its hash, so `verifyGeneric` takes a closure that hashes the
/// submitted code for a record id and calls it once the current record is known.
///
/// Any thrown error means "store unavailable" (disk full, locked, I/O): the step had no effect.
protocol CodeStore: AnyObject {
    /// "sqlite" or "redis", for `health`.
    var kind: String { get }

    /// Succeeds when the store answers.
    func ping() throws

    func createInteraction(id: String, event: InteractionEvent, expiresAt: Double, now: Double) throws

    /// Replaces the event, extends the lifetime and forgets every record of a live interaction.
    /// False when the interaction is unknown or expired.
    func resetInteraction(id: String, event: InteractionEvent, expiresAt: Double, now: Double) throws -> Bool

    /// A live interaction with its records (never a code), or nil.
    func interaction(id: String, now: Double) throws -> InteractionView?

    /// Checks and takes the send slots, then creates the record, replacing the scope's previous one.
    func issue(_ request: IssueRequest, now: Double) throws -> IssueOutcome

    /// Gives back the send slots taken by the issue of `verificationId` (its record stays).
    func releaseSlots(verificationId: String, now: Double) throws

    /// Verifies against the current unconsumed Generic record of exactly `identifier` (API.md §4):
    /// finds it, hashes the code for its id with `candidates`, and judges and updates it as `verify`
    /// does, in one store job (SQLite: one transaction; Redis: a read, then the `verify` script,
    /// which re-checks the record is still current). Returns the record's id when there was one.
    func verifyGeneric(identifier: Identifier, codeIsEmpty: Bool, policy: VerifyPolicy, now: Double,
                       candidates: (_ recordID: String) -> [[UInt8]]) throws -> (outcome: VerifyOutcome, recordID: String?)

    /// Applies the verify order of API.md §4 (and for interaction scope the lockout sentinel of
    /// §5.2) to one record, counting attempts and consuming on success, in one atomic step.
    func verify(_ attempt: VerifyAttempt, now: Double) throws -> VerifyOutcome

    /// Deletes expired interactions, records, send slots, failures and lockouts, about `limit` rows
    /// at most (a store whose purge never blocks it may ignore `limit` and finish in one call). The
    /// caller repeats it with the same `now`, one store job per call, until `finished`, so other
    /// steps run in between.
    func purgeExpired(_ policy: PurgePolicy, now: Double, limit: Int) throws -> PurgeBatch

    /// Most jobs the worker hands to one `runBatch`; 1 means no batching.
    var maxBatch: Int { get }

    /// Group commit hook: runs steps `0..<count` in order (`step` throws when that step failed; it
    /// keeps its own error for its reply) as one unit of durability, and returns only once what they
    /// did is durable. The result has one entry per step: nil if the step's work stands (or it failed
    /// on its own), else the error that undid it, which replaces its reply. A step not run must have
    /// an error.
    func runBatch(_ count: Int, _ step: (_ index: Int) throws -> Void) -> [(any Error)?]
}

/// Pass-through batching, for stores whose every method is already durable on return (Redis: one
/// script each, several worker threads that must not queue behind one another).
extension CodeStore {
    var maxBatch: Int { 1 }

    func runBatch(_ count: Int, _ step: (_ index: Int) throws -> Void) -> [(any Error)?] {
        for index in 0..<count { try? step(index) }
        return [(any Error)?](repeating: nil, count: count)
    }
}

/// What one purge call removed, and whether anything expired as of its `now` is left.
struct PurgeBatch: Sendable, Equatable {
    var removed: Int
    var finished: Bool
}
