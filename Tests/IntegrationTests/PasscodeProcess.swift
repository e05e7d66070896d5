import Foundation
import Glibc
import TestSupport

/// A `passcode up` started as a user would: its own data directory, port 0, stdout read for the
/// ready line, stderr (the JSON logs of all four processes) captured to a file.
final class PasscodeProcess: @unchecked Sendable {
    // @unchecked: every field is set in init and only read afterwards, except `process`, whose
    // methods Foundation documents as thread-safe.
    let dataDirectory: String
    let logFile: String
    let process: Process
    let baseURL: String
    let host: String
    let port: Int

    /// The directory holding the built executables.
    static var binDirectory: String { ServiceExecutable.binDirectory }

    static func makeTemporaryDirectory(_ tag: String = "e2e") -> String {
        let path = NSTemporaryDirectory() + "passcode-\(tag)-" + UUID().uuidString.prefix(8).lowercased()
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    init(environment extra: [String: String] = [:], dataDirectory: String? = nil, timeout: Double = 60) throws {
        self.dataDirectory = dataDirectory ?? Self.makeTemporaryDirectory()
        logFile = self.dataDirectory + ".log"
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        var env = ProcessInfo.processInfo.environment
        env["PASSCODE_LISTEN"] = "127.0.0.1:0"
        env["PASSCODE_DATA_DIR"] = self.dataDirectory
        env["PASSCODE_API_KEYS"] = "e2e-key-123456,e2e-send-only=verification-codes:send"
        env["PASSCODE_LOG_LEVEL"] = "debug"
        env.merge(extra, uniquingKeysWith: { _, new in new })
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binDirectory + "/passcode")
        process.arguments = ["up"]
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: logFile)
        try process.run()
        guard let line = Self.readLine(out.fileHandleForReading, containing: "passcode ready on http://", timeout: timeout) else {
            process.terminate()
            process.waitUntilExit()
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            throw E2EError.notReady(String(log.suffix(3000)))
        }
        let url = String(line.split(separator: " ").last!)
        baseURL = url
        let hostPort = url.dropFirst("http://".count)
        let colon = hostPort.lastIndex(of: ":")!
        host = String(hostPort[..<colon])
        port = Int(hostPort[hostPort.index(after: colon)...])!
    }

    /// Runs the `passcode` command to completion with `environment` over the test's own (a nil value
    /// removes a variable); returns its exit status and its standard output and error together.
    static func runCommand(_ arguments: [String], environment overrides: [String: String?] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binDirectory + "/passcode")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in overrides { env[key] = value }
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Sends SIGTERM and waits for exit; returns the exit status.
    @discardableResult
    func stop(timeout: Double = 30) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { stop() }
    }

    var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// The PID of a child service, from the launcher's "child started" log lines (latest wins).
    func childPID(_ name: String) -> Int32? {
        var pid: Int32?
        for line in log.split(separator: "\n") where line.contains("\"child started\"") && line.contains("\"child\":\"\(name)\"") {
            if let range = line.range(of: "\"pid\":\"") {
                pid = Int32(line[range.upperBound...].prefix { $0.isNumber })
            }
        }
        return pid
    }

    /// The latest outbox message to `to`, waiting briefly for it to appear.
    func outboxMessage(to: String, timeout: Double = 5) -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if let text = try? String(contentsOfFile: dataDirectory + "/outbox.jsonl", encoding: .utf8) {
                for line in text.split(separator: "\n").reversed() {
                    if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                       object["to"] as? String == to { return object }
                }
            }
            usleep(20_000)
        } while Date() < deadline
        return nil
    }

    func outboxMessages() -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: dataDirectory + "/outbox.jsonl", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func code(for to: String) -> String? { outboxMessage(to: to)?["code"] as? String }

    static func readLine(_ handle: FileHandle, containing needle: String, timeout: Double) -> String? {
        let fd = handle.fileDescriptor
        var buffer = ""
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) >= 0 else { return nil }
            if pfd.revents & Int16(POLLIN | POLLHUP) != 0 {
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { return nil }
                buffer += String(decoding: chunk[0..<n], as: UTF8.self)
                for line in buffer.split(separator: "\n") where line.contains(needle) { return String(line) }
            }
        }
        return nil
    }
}

enum E2EError: Error, CustomStringConvertible {
    case notReady(String)
    case http(String)
    var description: String {
        switch self {
        case .notReady(let log): "passcode up did not become ready; log tail:\n\(log)"
        case .http(let why): "HTTP: \(why)"
        }
    }
}
