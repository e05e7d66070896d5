import Contracts

/// One `code.issue` step for a store: the rate checks to pass and the record to create.
struct IssueRequest: Sendable {
    var recordID: String
    var scope: CodeScope
    var identifier: Identifier
    var templateType: TemplateType
    /// `HMAC-SHA256(primary secret, recordID ‖ code)`.
    var codeHash: [UInt8]
    var expiresAt: Double
    /// The normalized recipient's bucket, e.g. `email:foo@x.com`.
    var recipientBucket: String
    /// The client IP's bucket (Experience API only), e.g. `ip:203.0.113.9`.
    var clientBucket: String?
    var policy: SendPolicy
}

/// What an issue step did. A refusal took no slot and created nothing.
enum IssueOutcome: Sendable, Equatable {
    case issued
    case interactionNotFound
    /// Seconds until the oldest counted send leaves the recipient's window.
    case recipientLimited(retryAfter: Double)
    case clientLimited(retryAfter: Double)
    case coolingDown(retryAfter: Double)
}
