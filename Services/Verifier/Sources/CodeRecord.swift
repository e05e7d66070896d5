import CryptoCore
import Contracts

/// A stored verification record. `codeHash` is `HMAC-SHA256(secret, id ‖ code)`; the code itself
/// is never stored.
struct CodeRecord: Sendable, Equatable {
    var id: String
    /// nil for a Generic (Management API) record.
    var interactionID: String?
    var identifier: Identifier
    var templateType: TemplateType
    var codeHash: [UInt8]
    var expiresAt: Double
    var attempts: Int
    /// Consumed by a successful verify (an interaction record is then "verified").
    var consumed: Bool

    /// What a verify step does to the record besides answering.
    enum Effect: Sendable, Equatable {
        case none
        case countAttempt
        case consume
    }

    /// The verify order of API.md §3.2 steps 2–4 and §4, once the record is known:
    /// empty code / consumed → not found, identifier → mismatch, expired (no attempt counted),
    /// exceed_max_try (even for the right code; not counted), code_mismatch (counts one), success.
    func judge(_ attempt: VerifyAttempt, now: Double) -> (outcome: VerifyOutcome, effect: Effect) {
        if attempt.codeIsEmpty || consumed { return (.codeNotFound, .none) }
        if identifier != attempt.identifier {
            return (interactionID == nil ? .codeNotFound : .identifierMismatch, .none)
        }
        if now > expiresAt { return (.expired, .none) }
        if attempts >= attempt.policy.maxAttempts { return (.exceedMaxTry, .none) }
        // Compare against every candidate without stopping early, in constant time each.
        var matched = false
        for candidate in attempt.candidateHashes {
            matched = ConstantTime.equals(candidate, codeHash) || matched
        }
        return matched ? (.verified, .consume) : (.codeMismatch, .countAttempt)
    }

    /// The `type` shown by `interaction.get`.
    var viewType: String {
        identifier.type == .email ? "EmailVerificationCode" : "PhoneVerificationCode"
    }
}
