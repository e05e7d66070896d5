import Foundation
import TestSupport
import Testing

/// The data directory (SQLite file, WAL, outbox) on a small tmpfs that the test fills up
/// (docs/RELIABILITY.md "Disk full").
@Suite(.serialized, .enabled(if: TmpfsMount.isPermitted, "mounting a tmpfs needs root (CAP_SYS_ADMIN)"))
struct DiskFullTests {
    @Test(.timeLimit(.minutes(3)))
    func fullDiskFailsSendsWith503CorruptsNothingAndRecoversWhenSpaceReturns() async throws {
        let mount = try TmpfsMount(megabytes: 8)
        defer { mount.unmount() }
        let data = mount.path + "/data"
        let p = try await PasscodeProcess.launch(environment: ["PASSCODE_LOG_LEVEL": "info"], dataDirectory: data)
        defer { p.stop() }
        let client = PasscodeClient(p)

        // Codes issued while there is room.
        var before: [(String, String)] = []
        for _ in 0..<5 {
            let email = uniqueEmail("before-full")
            #expect(try client.send(email: email).status == 204)
            before.append((email, try #require(p.code(for: email))))
        }

        let filler = mount.fill()
        #expect(mount.available < 64 * 1024)

        // Sends now fail: a fast 503 from the store, never another 5xx, never a hang.
        var statuses: [Int: Int] = [:]
        var full: HTTPTestResponse?
        for _ in 0..<200 {
            let started = Date()
            let r = try client.send(email: uniqueEmail("while-full"))
            let seconds = Date().timeIntervalSince(started)
            statuses[r.status, default: 0] += 1
            #expect(r.status == 204 || r.status == 503 || r.code == "connector.general", "while full: \(r.status) \(r.text)")
            #expect(seconds < 15, "a send on a full disk took \(seconds) s")
            if r.status == 503 { full = r; break }
        }
        let unavailable = try #require(full, "no 503 while the disk was full: \(statuses)")
        #expect(unavailable.code == "service.unavailable")
        #expect(unavailable.header("retry-after") != nil)
        // A verify while full either works (the WAL had room) or is a 503 that changed nothing.
        let (probeEmail, probeCode) = before[0]
        let probe = try client.verify(email: probeEmail, code: probeCode)
        #expect(probe.status == 204 || probe.status == 503, "verify while full: \(probe.status) \(probe.text)")
        if probe.status == 204 { before.removeFirst() }
        #expect(try client.http.request("GET", "/healthz").status == 200)

        // Space returns: sends work again without a restart, and nothing was lost or corrupted.
        #expect(unlink(filler) == 0)
        let email = uniqueEmail("after-full")
        try await waitUntil("sends work again", timeout: .seconds(30), every: .milliseconds(100)) {
            try client.send(email: email).status == 204
        }
        let code = try #require(p.code(for: email))
        #expect(try client.verify(email: email, code: code).status == 204)
        for (email, code) in before { #expect(try client.verify(email: email, code: code).status == 204, "\(email) after the disk was full") }
        #expect(await p.stopped() == 0)
        #expect(Self.integrityCheck(data + "/passcode.sqlite") == "ok")
    }

    /// SQLite's own `PRAGMA integrity_check`, through Python's sqlite3 module (no SQLite in this target).
    static func integrityCheck(_ path: String) -> String {
        do {
            return try runPython("import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])", path)
        } catch {
            return "cannot run python3: \(error)"
        }
    }
}
