import Contracts
import CryptoCore
import Foundation
import LogCore
import Synchronization
import Testing
@testable import VerifierService
import SyncCore

/// A real SIGKILL: the test binary runs itself as a child whose only test issues and consumes codes
/// on an SQLite file, reporting each committed step on stdout; the parent kills it with SIGKILL at
/// an arbitrary moment and reopens the file (issue 3: "killed with SIGKILL at any moment loses no
/// issued code and never double-consumes one").
@Suite struct KillRecoveryTests {
    static let childDirectoryVariable = "PASSCODE_TEST_KILL_CHILD_DIR"
    static let childSecret = Array("kill-recovery-secret-0123456789".utf8)

    @Test func sigkillLosesNoIssuedCodeAndNeverDoubleConsumesOne() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["--testing-library", "swift-testing", "--filter", "childIssuesAndConsumesCodesUntilKilled"]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.childDirectoryVariable] = dir
        child.environment = environment
        let output = Pipe()
        child.standardOutput = output
        child.standardError = FileHandle.nullDevice
        try child.run()
        defer {
            if child.isRunning { kill(child.processIdentifier, SIGKILL) }
            child.waitUntilExit()
        }

        let reader = LineReader(output.fileHandleForReading)
        let deadline = Date().addingTimeInterval(120)
        while reader.lines.filter({ $0.hasPrefix("issued ") }).count < 300, child.isRunning, Date() < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)

        var issued: [Int: String] = [:]
        var attempted = Set<Int>()
        var consumed = Set<Int>()
        for line in reader.lines {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let n = Int(parts[1]) else { continue }
            switch parts[0] {
            case "issued" where parts.count == 3: issued[n] = String(parts[2])
            case "verifying": attempted.insert(n)
            case "consumed": consumed.insert(n)
            default: break
            }
        }
        #expect(issued.count >= 300)
        #expect(consumed.count >= 100)

        try await withFixture(.sqlite, secrets: ServerSecrets(primary: Self.childSecret), directory: dir,
                              clock: TestClock(Date().timeIntervalSince1970)) { f in
            for (n, code) in issued.sorted(by: { $0.key < $1.key }) {
                let email = Identifier.email("user\(n)@x.com")
                if consumed.contains(n) {
                    await expectFailure("verification_code.not_found") { try await f.verifyGeneric(email, code) }
                } else if !attempted.contains(n) {
                    _ = try await f.verifyGeneric(email, code)
                }
            }
        }
    }

    /// The child's side; runs only when the parent test starts this binary with the variable set.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[childDirectoryVariable] != nil))
    func childIssuesAndConsumesCodesUntilKilled() async throws {
        guard let dir = ProcessInfo.processInfo.environment[Self.childDirectoryVariable] else { return }
        var config = VerifierConfig()
        config.sendLimit = 100_000
        let verifier = CodeVerifier(config: config, secrets: ServerSecrets(primary: Self.childSecret), storeKind: "sqlite",
                                    logger: Logger(service: "kill-child", sink: DiscardSink()), now: CodeVerifier.systemNow) {
            try SQLiteStore(path: dir + "/passcode.sqlite")
        }
        var codes: [Int: String] = [:]
        // Bounded so a parent that died without killing us cannot leave us running for ever.
        for n in 0..<1_000_000 {
            let issued = try await verifier.issue(.init(scope: .generic, identifier: .email("user\(n)@x.com"), templateType: .generic))
            codes[n] = issued.code
            Self.report("issued \(n) \(issued.code)")
            if n % 3 == 2, let code = codes[n - 1] {
                Self.report("verifying \(n - 1)")
                _ = try await verifier.verify(.init(scope: .generic, identifier: .email("user\(n - 1)@x.com"), verificationId: nil, code: code))
                Self.report("consumed \(n - 1)")
            }
        }
        await verifier.shutdown()
    }

    /// One write(2) per line, so the parent never sees half a line it could misread.
    static func report(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
    }
}

/// Collects complete lines from a pipe on its own thread, so the test task never blocks on read.
final class LineReader: Sendable {
    private final class Buffer: Sendable {
        let state = Locked<(lines: [String], partial: [UInt8])>(([], []))

        func append(_ chunk: [UInt8]) {
            state.withLock { s in
                s.partial += chunk
                while let newline = s.partial.firstIndex(of: UInt8(ascii: "\n")) {
                    s.lines.append(String(decoding: s.partial[..<newline], as: UTF8.self))
                    s.partial.removeSubrange(...newline)
                }
            }
        }
    }

    private let buffer = Buffer()

    init(_ handle: FileHandle) {
        let buffer = self.buffer
        let thread = Thread {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { return }
                buffer.append(Array(chunk))
            }
        }
        thread.start()
    }

    var lines: [String] { buffer.state.withLock { $0.lines } }
}
