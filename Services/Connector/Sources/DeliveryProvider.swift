/// One way of delivering a message (outbox, SMTP, an HTTP API). A provider makes a single attempt;
/// retries, circuit breaking and idempotency are the caller's job.
protocol DeliveryProvider: Sendable {
    /// The name reported in `deliver` results and `status` (`outbox`, `smtp`, …).
    var name: String { get }
    /// Sends once and returns the provider's message id. Throws `DeliveryFailure`; must give up by `deadline`.
    func send(_ message: RenderedMessage, deadline: ContinuousClock.Instant) async throws -> String
}
