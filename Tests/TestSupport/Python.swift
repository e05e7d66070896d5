import Foundation

/// Runs `python3 -c script arguments…` and returns what it printed, trimmed. The tests use
/// Python's sqlite3 module as another process opening a store's file, through SQLite's own
/// default VFS, as the `sqlite3` shell does.
public func runPython(_ script: String, _ arguments: String...) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
}
