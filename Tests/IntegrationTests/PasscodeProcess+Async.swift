extension PasscodeProcess {
    /// Starts `passcode up` off the cooperative pool (waiting for its ready line blocks).
    static func launch(environment: [String: String] = [:], dataDirectory: String? = nil) async throws -> PasscodeProcess {
        try await LoadRun.offPool { try PasscodeProcess(environment: environment, dataDirectory: dataDirectory) }
    }

    /// Stops it off the cooperative pool; returns the exit status.
    @discardableResult
    func stopped() async -> Int32 {
        await LoadRun.blocking { self.stop() }
    }
}
