import Foundation
import Testing

extension Trait where Self == ConditionTrait {
    /// Suites that load the machine (sustained request load, thousands of connections, long attack
    /// loops) or measure time. `scripts/test` runs them in a pass of their own, after the parallel
    /// one, so their load cannot skew the timing bounds of unit tests running beside them and
    /// theirs are not skewed either. Set `PASSCODE_HEAVY_TESTS=1` to run them.
    static var heavy: Self {
        .enabled(if: ProcessInfo.processInfo.environment["PASSCODE_HEAVY_TESTS"] == "1",
                 "load and timing suite: set PASSCODE_HEAVY_TESTS=1 (scripts/test runs it in its own pass)")
    }
}
