import Foundation
import Glibc
import Testing
import TestSupport

/// A real `redis-server` for the fleet tests, on a free port, optionally with AOF persistence.
final class RedisProcess: @unchecked Sendable {
    // @unchecked: `process` is replaced only by `start()`, which the tests call from one thread.
    let port: Int
    let directory: String
    var process: Process?

    init() throws {
        directory = PasscodeProcess.makeTemporaryDirectory("redis")
        port = try RefusingPort.recentlyFree()
        try start()
    }

    func start() throws {
        guard let server = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first(where: FileManager.default.isExecutableFile)
        else { throw E2EError.http("redis-server is not installed (scripts/test installs it: apt-get install redis-server)") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: server)
        p.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--dir", directory, "--appendonly", "yes",
                       "--appendfsync", "always", "--save", "", "--daemonize", "no"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let reply = try? HTTPTestClient(host: "127.0.0.1", port: port, timeout: 1).exchange(Array("PING\r\n".utf8)),
               String(decoding: reply, as: UTF8.self).hasPrefix("+PONG") { return }
            usleep(20_000)
        }
        throw E2EError.http("redis-server did not start on port \(port)")
    }

    /// SIGKILL: children of the test process inherit a mask that blocks SIGTERM, and with
    /// `appendfsync always` every acknowledged write is already in the AOF anyway.
    func stop() {
        guard let p = process, p.isRunning else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }
}

/// Issue 6: two complete `passcode up` groups on one Redis behave as one service.
@Suite(.serialized) struct FleetTests {
    static func fleet(_ extra: [String: String] = [:], _ body: (PasscodeProcess, PasscodeProcess, RedisProcess) throws -> Void) throws {
        let redis = try RedisProcess()
        defer { redis.stop() }
        var env = ["PASSCODE_STORE": "redis://127.0.0.1:\(redis.port)/0", "PASSCODE_SECRET": "fleet-secret-0123456789abcdef"]
        env.merge(extra, uniquingKeysWith: { _, new in new })
        let a = try PasscodeProcess(environment: env)
        defer { a.stop() }
        let b = try PasscodeProcess(environment: env)
        defer { b.stop() }
        try body(a, b, redis)
    }

    @Test func codeSentThroughAVerifiesThroughBAndTheSendLimitCountsBoth() throws {
        try Self.fleet(["PASSCODE_SEND_LIMIT": "4"]) { a, b, _ in
            let email = uniqueEmail("fleet")
            #expect(try PasscodeClient(a).send(email: email).status == 204)
            let code = try #require(a.code(for: email))
            #expect(try PasscodeClient(b).verify(email: email, code: code).status == 204)
            #expect(try PasscodeClient(a).verify(email: email, code: code).code == "verification_code.not_found")
            // 1 sent above; three more over A and B together reach the limit of 4.
            #expect(try PasscodeClient(b).send(email: email).status == 204)
            #expect(try PasscodeClient(a).send(email: email.uppercased()).status == 204)
            #expect(try PasscodeClient(b).send(email: email).status == 204)
            #expect(try PasscodeClient(a).send(email: email).status == 429)
            #expect(try PasscodeClient(b).send(email: email).status == 429)
        }
    }

    @Test func lockoutSetOnABlocksOnB() throws {
        try Self.fleet(["PASSCODE_LOCKOUT_ATTEMPTS": "3"]) { a, b, _ in
            var onA = PasscodeClient(a)
            try onA.startInteraction()
            let phone = uniquePhone()
            let id = try #require(try onA.experienceSend(type: "phone", value: phone).json?["verificationId"] as? String)
            let code = try #require(a.code(for: phone))
            for _ in 0..<2 { _ = try onA.experienceVerify(type: "phone", value: phone, verificationId: id, code: wrongCode(code)) }
            #expect(try onA.experienceVerify(type: "phone", value: phone, verificationId: id, code: wrongCode(code)).code
                == "session.verification_blocked_too_many_attempts")
            // The interaction cookie and the lock are both shared state: B sees the same.
            var onB = PasscodeClient(b)
            onB.cookie = onA.cookie
            #expect(try onB.experienceVerify(type: "phone", value: phone, verificationId: id, code: code).code
                == "session.verification_blocked_too_many_attempts")
        }
    }

    @Test func fiftyConcurrentVerifiesOfOneCodeOverAAndBSucceedExactlyOnce() throws {
        try Self.fleet { a, b, _ in
            let email = uniqueEmail("race")
            #expect(try PasscodeClient(a).send(email: email).status == 204)
            let code = try #require(a.code(for: email))
            let statuses = Locked50()
            DispatchQueue.concurrentPerform(iterations: 50) { i in
                let status = (try? PasscodeClient(i % 2 == 0 ? a : b).verify(email: email, code: code).status) ?? -1
                statuses.append(status)
            }
            let all = statuses.values
            #expect(all.filter { $0 == 204 }.count == 1)
            #expect(all.filter { $0 == 400 }.count == 49)
        }
    }

    @Test func redisRestartGivesFast503sThenResumesWithCodesIntact() throws {
        try Self.fleet { a, b, redis in
            let email = uniqueEmail("outage")
            #expect(try PasscodeClient(a).send(email: email).status == 204)
            let code = try #require(a.code(for: email))
            redis.stop()
            let started = Date()
            let during = try PasscodeClient(b).verify(email: email, code: code)
            #expect(during.status == 503)
            #expect(during.header("retry-after") != nil)
            #expect(Date().timeIntervalSince(started) < 5)
            try redis.start()
            var after = 0
            let deadline = Date().addingTimeInterval(20)
            repeat {
                after = try PasscodeClient(b).verify(email: email, code: code).status
                if after != 503 { break }
                usleep(100_000)
            } while Date() < deadline
            #expect(after == 204)
        }
    }
}

/// Collects statuses from concurrent threads.
final class Locked50: @unchecked Sendable {
    // @unchecked: `items` is only touched under `lock`.
    private let lock = NSLock()
    private var items: [Int] = []
    func append(_ value: Int) { lock.lock(); items.append(value); lock.unlock() }
    var values: [Int] { lock.lock(); defer { lock.unlock() }; return items }
}
