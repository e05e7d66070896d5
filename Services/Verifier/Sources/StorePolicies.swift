/// The send rate guard's numbers (API.md §5.1), passed to every issue step.
struct SendPolicy: Sendable, Equatable {
    var recipientLimit: Int
    var recipientWindow: Double
    var clientLimit: Int
    var clientWindow: Double
    /// 0 = off.
    var cooldown: Double
}

/// The per-code attempt cap (API.md §4) and the lockout sentinel's numbers (§5.2).
struct VerifyPolicy: Sendable, Equatable {
    var maxAttempts: Int
    var lockoutAttempts: Int
    var lockoutWindow: Double
    var lockoutDuration: Double
}

/// How long purged state is kept.
struct PurgePolicy: Sendable, Equatable {
    /// Sends older than this no longer count toward any window or cool-down.
    var sendRetention: Double
    /// Verify failures older than this no longer count toward a lockout.
    var failureRetention: Double
    /// An expired Generic record is kept this long so a late verify still answers `expired`
    /// rather than `not_found`.
    var expiredRecordGrace: Double

    static let defaultExpiredRecordGrace: Double = 86_400
}
