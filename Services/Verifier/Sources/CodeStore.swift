import Contracts

/// Durable state of the verifier: interactions, code records (hashed), send slots, verify failures
/// and lockouts.
///
/// Each method is ONE atomic step (a SQLite `BEGIN IMMEDIATE` transaction; in a Redis store, one Lua
/// script), so several verifiers sharing a store stay exact. Methods are synchronous and called only
/// from the store's own worker thread; every one takes `now` (Unix seconds) so tests control time.
///
/// A store never sees a plaintext code: it gets HMACs computed in Swift (Redis Lua cannot compute
/// HMAC), which is why a Generic verify is two steps: `currentGenericRecordID` finds the record whose
/// id salts the hash, then `verify` re-checks that record inside its own atomic step.
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

    /// The id of the current unconsumed Generic record of exactly `identifier`, or nil.
    func currentGenericRecordID(for identifier: Identifier, now: Double) throws -> String?

    /// Applies the verify order of API.md §4 (and for interaction scope the lockout sentinel of
    /// §5.2) to one record, counting attempts and consuming on success, in one atomic step.
    func verify(_ attempt: VerifyAttempt, now: Double) throws -> VerifyOutcome

    /// Deletes expired interactions, records, send slots, failures and lockouts. Returns rows removed.
    func purgeExpired(_ policy: PurgePolicy, now: Double) throws -> Int
}
