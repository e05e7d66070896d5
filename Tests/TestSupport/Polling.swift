/// Thrown when a condition polled with `waitUntil` is still false at the deadline.
public struct PollTimeout: Error, CustomStringConvertible {
    public var what: String
    public var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds, failing after `timeout`. For readiness (a port, a file, a
/// state), never a fixed sleep.
public func waitUntil(
    _ what: String = "condition", timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(5),
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while true {
        if try await condition() { return }
        if clock.now >= deadline { throw PollTimeout(what: what) }
        try await Task.sleep(for: interval)
    }
}

/// Measures how long `body` takes.
public func elapsed<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try await body()
    return (value, clock.now - start)
}
