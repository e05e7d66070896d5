import Contracts

/// One verify step for a store: which record, and the HMACs the submitted code would have under each
/// configured secret (computed in Swift, so a store never sees the code).
struct VerifyAttempt: Sendable {
    enum Target: Sendable, Equatable {
        /// The record found by `currentGenericRecordID`; it must still be current.
        case generic(recordID: String)
        /// The interaction's record of the identifier's type must have this id.
        case interaction(interactionID: String, verificationID: String)
    }

    var target: Target
    var identifier: Identifier
    var codeIsEmpty: Bool
    var candidateHashes: [[UInt8]]
    var policy: VerifyPolicy

    /// The sentinel counts failures per exact identifier value (API.md §5.2).
    var lockoutKey: String { "\(identifier.type.rawValue):\(identifier.value)" }
}

/// The result of a verify step, in the words of API.md §3.2 and §4.
enum VerifyOutcome: Sendable, Equatable {
    case verified
    case interactionNotFound
    case blocked
    case verificationNotFound
    case codeNotFound
    case identifierMismatch
    case expired
    case exceedMaxTry
    case codeMismatch

    /// The 400s of §3.2 steps 2–4, which the lockout sentinel counts.
    var countsAsFailure: Bool {
        switch self {
        case .codeNotFound, .identifierMismatch, .expired, .exceedMaxTry, .codeMismatch: true
        case .verified, .interactionNotFound, .blocked, .verificationNotFound: false
        }
    }
}
