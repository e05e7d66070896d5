import Foundation
import Glibc

/// `Tests/Fixtures/http_server.py` as the email provider (`PASSCODE_EMAIL_PROVIDER=http`): a
/// local HTTP server this test controls. `setAction` switches it, while it runs, between answering
/// (`200`), failing (`503`), hanging (`hang`) and answering slowly (`sleep:S`).
final class ProviderFixture: Sendable {
    let process: Process
    let port: Int
    let logPath: String
    let controlPath: String

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/http_server.py").path

    private init(process: Process, port: Int, logPath: String, controlPath: String) {
        self.process = process
        self.port = port
        self.logPath = logPath
        self.controlPath = controlPath
    }

    static func start(timeout: Double = 30) throws -> ProviderFixture {
        let base = PasscodeProcess.makeTemporaryDirectory("provider")
        let logPath = base + "/requests.jsonl"
        let controlPath = base + "/control"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        _ = FileManager.default.createFile(atPath: controlPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", script, "--log", logPath, "--control", controlPath]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        process.standardInput = FileHandle.nullDevice
        try process.run()
        guard let line = PasscodeProcess.readLine(output.fileHandleForReading, containing: "ready ", timeout: timeout),
              let port = Int(line.split(separator: " ").last ?? "") else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw E2EError.notReady("http_server.py printed no ready line")
        }
        return ProviderFixture(process: process, port: port, logPath: logPath, controlPath: controlPath)
    }

    /// The environment that makes the email channel use this server; SMS stays on the outbox.
    var emailEnvironment: [String: String] {
        ["PASSCODE_EMAIL_PROVIDER": "http", "PASSCODE_EMAIL_HTTP_URL": "http://127.0.0.1:\(port)/email"]
    }

    func setAction(_ action: String) {
        let temporary = controlPath + ".tmp"
        _ = FileManager.default.createFile(atPath: temporary, contents: Data((action + "\n").utf8))
        rename(temporary, controlPath)
    }

    /// Requests the server has received (each is logged before it is answered).
    var requestCount: Int {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return 0 }
        return text.split(separator: "\n").count
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
