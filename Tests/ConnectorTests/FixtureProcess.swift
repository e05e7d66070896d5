import Foundation

/// A Python fixture server from `Tests/Fixtures/`, started on port 0. It prints `ready PORT` once it
/// listens; `start` waits for that line (with a deadline), and `stop` kills it by PID.
final class FixtureProcess: Sendable {
    let process: Process
    let port: Int

    static let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    static func start(_ script: String, _ arguments: [String], stderrPath: String, timeout: Duration = .seconds(20)) async throws -> FixtureProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", fixturesDirectory.appendingPathComponent(script).path] + arguments
        let output = Pipe()
        process.standardOutput = output
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let fd = output.fileHandleForReading.fileDescriptor
        let deadline = ContinuousClock.now + timeout
        // The blocking wait runs off the cooperative pool.
        let port: Int? = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: readReadyLine(fd: fd, deadline: deadline)) }
        }
        guard let port else {
            process.terminate()
            process.waitUntilExit()
            let log = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            throw FixtureError(description: "\(script) did not print its ready line: \(log.suffix(2000))")
        }
        return FixtureProcess(process: process, port: port)
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    private static func readReadyLine(fd: Int32, deadline: ContinuousClock.Instant) -> Int? {
        var collected: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            let remaining = deadline - .now
            guard remaining > .zero else { return nil }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let millis = Int32(max(1, remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000))
            let ready = poll(&descriptor, 1, millis)
            if ready < 0 && errno != EINTR { return nil }
            guard ready > 0 else { continue }
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { return nil }
            collected += chunk[..<n]
            if let newline = collected.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: collected[..<newline], as: UTF8.self)
                guard line.hasPrefix("ready ") else { return nil }
                return Int(line.dropFirst("ready ".count))
            }
        }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
}

/// A fresh directory under /tmp, removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/passcode-connector-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw FixtureError(description: "mkdtemp failed") }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
