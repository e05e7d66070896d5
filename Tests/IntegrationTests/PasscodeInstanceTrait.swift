import Testing

/// Starts one `passcode up` for a whole suite and stops it afterwards (a suite-level scope, so the
/// processes never outlive the suite). Tests read it from `Running.instance`.
struct PasscodeInstanceTrait: SuiteTrait, TestScoping {
    let environment: [String: String]
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let instance = try PasscodeProcess(environment: environment)
        defer { instance.stop() }
        try await Running.$instance.withValue(instance) { try await function() }
    }
}

extension Trait where Self == PasscodeInstanceTrait {
    static func passcode(_ environment: [String: String] = [:]) -> PasscodeInstanceTrait {
        PasscodeInstanceTrait(environment: environment)
    }
}

enum Running {
    @TaskLocal static var instance: PasscodeProcess?

    static var current: PasscodeProcess {
        get throws { try #require(instance, "suite has no .passcode() trait") }
    }
}

/// A unique recipient per test so tests sharing an instance never share rate buckets.
func uniqueEmail(_ tag: String) -> String { "\(tag)-\(UInt32.random(in: 0...UInt32.max))@example.com" }
func uniquePhone() -> String { "1555" + String(UInt32.random(in: 1_000_000...9_999_999)) }
