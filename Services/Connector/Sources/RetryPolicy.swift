/// Exponential backoff with full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog 2015):
/// the wait before retry n is uniform in [0, min(cap, base·2ⁿ)], and never shorter than a provider's
/// `Retry-After`. Every attempt and wait fits in one total budget.
struct RetryPolicy: Sendable {
    var budget: Duration
    var baseDelay: Duration = .milliseconds(100)
    var maxDelay: Duration = .seconds(2)

    func delay(beforeRetry attempt: Int, retryAfter: Duration?) -> Duration {
        let exponent = min(attempt, 20)
        let ceiling = min(maxDelay, baseDelay * (1 << exponent))
        let ceilingNanos = max(Int64(0), ceiling.totalNanoseconds)
        let jittered = Duration.nanoseconds(Int64.random(in: 0...ceilingNanos))
        if let retryAfter { return max(jittered, retryAfter) }
        return jittered
    }

    /// Runs `attempt` until it succeeds, fails permanently, or the budget cannot hold another try.
    /// Throws the last `DeliveryFailure`; anything else a provider throws counts as transient.
    func run<T: Sendable>(deadline: ContinuousClock.Instant,
                          _ attempt: (ContinuousClock.Instant) async throws -> T) async throws(DeliveryFailure) -> (T, attempts: Int) {
        var tries = 0
        while true {
            tries += 1
            let failure: DeliveryFailure
            do {
                return (try await attempt(deadline), tries)
            } catch let f as DeliveryFailure {
                failure = f
            } catch {
                failure = .transient("unexpected provider error")
            }
            guard failure.isRetryable, !Task.isCancelled else { throw failure }
            let wait = delay(beforeRetry: tries - 1, retryAfter: failure.retryAfter)
            // Keep a little room so the next attempt is not doomed before it starts.
            guard ContinuousClock.now + wait + .milliseconds(20) < deadline else { throw failure }
            do {
                try await Task.sleep(for: wait)
            } catch {
                throw failure
            }
        }
    }
}

extension Duration {
    var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    var inSeconds: Double { Double(totalNanoseconds) / 1e9 }
}
