import ConfigCore
import CryptoCore
import Foundation
import LogCore
import Testing
import TestSupport
@testable import VerifierService

/// The SQLite store holds its file for this process alone unless opened `shared`
/// (`SQLiteStore.exclusiveVFS`, `PASSCODE_SQLITE_SHARED`). The other process in these tests is
/// Python's sqlite3 module: SQLite's own "unix" VFS, as the `sqlite3` shell or a backup tool uses.
@Suite struct ExclusiveStoreTests {
    /// Prints the row count of the test's `probe` table, or SQLite's error ("database is locked").
    static let countScript = """
        import sqlite3, sys
        try:
            c = sqlite3.connect(sys.argv[1], timeout=0.1)
            print(c.execute('SELECT count(*) FROM probe').fetchone()[0])
        except sqlite3.Error as e:
            print(e)
        """

    /// Writes `n` rows to a table of the test's own, through the store's connection.
    static func write(_ store: SQLiteStore, _ n: Int) throws {
        try store.db.execute("CREATE TABLE IF NOT EXISTS probe (n INTEGER)")
        for i in 0..<n { try store.db.execute("INSERT INTO probe VALUES (\(i))") }
    }

    @Test func anotherProcessCannotOpenTheStoreWhileItIsOpen() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/passcode.sqlite"
        var store: SQLiteStore? = try SQLiteStore(path: path)
        try Self.write(try #require(store), 3)
        #expect(try runPython(Self.countScript, path) == "database is locked")
        // The WAL index lives in this process's memory: no -shm file for others to map.
        #expect(!FileManager.default.fileExists(atPath: path + "-shm"))
        store = nil
        #expect(try runPython(Self.countScript, path) == "3")
    }

    @Test func aSharedStoreLetsAnotherProcessRead() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/passcode.sqlite"
        let store = try SQLiteStore(path: path, shared: true)
        try Self.write(store, 2)
        #expect(try runPython(Self.countScript, path) == "2")
        try Self.write(store, 2)
        #expect(try runPython(Self.countScript, path) == "4")
    }

    /// `PASSCODE_SQLITE_SHARED` reaches the store the verifier opens.
    @Test(arguments: [(nil, "database is locked"), ("1", "0"), ("0", "database is locked")])
    func sharingComesFromTheConfig(_ shared: String?, _ seen: String) async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try VerifierConfig.load(Environment(shared.map { ["PASSCODE_SQLITE_SHARED": $0] } ?? [:]))
        let directory = DataDirectory(path: dir)
        let verifier = try CodeVerifier(config: config, secrets: ServerSecrets(primary: secretA),
                                        dataDirectory: directory, logger: Logger(service: "verifier-test", level: .error))
        try await verifier.worker.perform { store in try Self.write(try #require(store as? SQLiteStore), 0) }
        #expect(try runPython(Self.countScript, directory.database) == seen)
        await verifier.shutdown()
    }

    @Test func theStoreWillNotOpenWhileAnotherProcessHasTheFileOpen() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/passcode.sqlite"
        do {
            let first = try SQLiteStore(path: path)
            try Self.write(first, 1)
        }
        // An idle WAL connection in another process: it holds a shared lock on the file while open.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            c.execute('SELECT count(*) FROM probe').fetchone()
            print('open', flush=True)
            sys.stdin.read()
            """, path]
        let input = Pipe()
        let output = Pipe()
        holder.standardInput = input
        holder.standardOutput = output
        try holder.run()
        defer { if holder.isRunning { holder.terminate() } }
        let line = output.fileHandleForReading.readLine()
        #expect(line == "open")

        let refusal = #expect(throws: SQLiteError.self) {
            _ = try SQLiteStore(path: path, busyTimeoutMilliseconds: 100)
        }
        #expect(refusal?.message.contains("is open in another process") == true, "\(String(describing: refusal))")

        try input.fileHandleForWriting.close()
        holder.waitUntilExit()
        let reopened = try SQLiteStore(path: path, busyTimeoutMilliseconds: 100)
        #expect(try reopened.db.scalar("SELECT count(*) FROM probe")?.int == 1)
    }
}

extension FileHandle {
    /// Reads, waiting as long as it takes, up to the first line break (or the end of the stream),
    /// and returns the line without it.
    fileprivate func readLine() -> String {
        var bytes: [UInt8] = []
        while true {
            let chunk = readData(ofLength: 1)
            guard let byte = chunk.first, byte != UInt8(ascii: "\n") else { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
