import Contracts
import Foundation
import Synchronization
import Testing
import TestSupport
@testable import VerifierService

/// The Redis store's own promises: authentication, database selection, key hygiene (TTLs, no
/// plaintext codes), Redis Cluster compatibility, and a client that survives a hostile server.
@Suite struct RedisStoreTests {
    /// One of everything: Generic and interaction records, send buckets for a recipient and a client
    /// IP, a receipt, verify failures and a lock.
    static func exerciseEveryKeyKind(_ f: Fixture) async throws -> [String] {
        var codes: [String] = []
        let generic = try await f.generic(email: "Alice@Example.com")
        codes.append(generic.code)
        let i = try await f.startInteraction()
        let scoped = try await f.issue(in: i, .email("alice@example.com"), clientIP: "203.0.113.9")
        codes.append(scoped.code)
        let phone = try await f.issue(in: i, .phone("15550001111"))
        codes.append(phone.code)
        _ = try await f.verifier.releaseSlot(.init(verificationId: phone.verificationId))
        await expectFailure("verification_code.code_mismatch") {
            try await f.verify(in: i, .email("alice@example.com"), id: scoped.verificationId, code: wrong(scoped.code))
        }
        await expectFailure("session.verification_blocked_too_many_attempts") {
            try await f.verify(in: i, .email("alice@example.com"), id: scoped.verificationId, code: wrong(scoped.code))
        }
        _ = try await f.verifyGeneric(.email("Alice@Example.com"), generic.code)
        _ = try await f.verifier.resetInteraction(.init(interactionId: i, event: .register))
        let again = try await f.issue(in: i, .phone("15550002222"))
        codes.append(again.code)
        await expectFailure("verification_code.code_mismatch") {
            try await f.verify(in: i, .phone("15550002222"), id: again.verificationId, code: wrong(again.code))
        }
        _ = try await f.verifier.getInteraction(.init(interactionId: i))
        return codes
    }

    static let lockAfterTwo = Fixture.config { $0.lockoutAttempts = 2; $0.codeLength = 10 }

    /// Every key of `namespace`, by `SCAN`.
    static func keys(_ connection: RedisConnection, namespace: String) throws -> [String] {
        var cursor = "0"
        var found: [String] = []
        repeat {
            let reply = try connection.send([RedisCommand("SCAN", cursor, "MATCH", namespace + ":*", "COUNT", "100")])[0]
            let parts = try #require(reply.elements)
            cursor = try #require(parts[0].text)
            found += try #require(parts[1].elements).compactMap(\.text)
        } while cursor != "0"
        return found
    }

    @Test func everyKeyCarriesATTL() async throws {
        try await withRedisServer { server in
            try await withRedisVerifier(server.endpoint, namespace: "ttl", config: Self.lockAfterTwo) { f in
                _ = try await Self.exerciseEveryKeyKind(f)
            }
            let admin = try server.connection()
            let keys = try Self.keys(admin, namespace: "ttl")
            let store = RedisKeys(namespace: "ttl")
            #expect(Set(keys.compactMap(store.kind(of:))) == [.interaction, .genericRecord, .sends, .failures, .lock, .receipt])
            #expect(keys.allSatisfy { store.kind(of: $0) != nil })
            for key in keys {
                let ttl = try admin.send([RedisCommand("PTTL", key)])[0].integerValue ?? -1
                #expect(ttl > 0, "\(key) has no TTL")
            }
        }
    }

    @Test func redisNeverHoldsAPlaintextCodeOrRecipientInAKey() async throws {
        try await withRedisServer { server in
            let codes = try await withRedisVerifier(server.endpoint, namespace: "plain", config: Self.lockAfterTwo) { f in
                try await Self.exerciseEveryKeyKind(f)
            }
            let admin = try server.connection()
            var everything: [UInt8] = []
            for key in try Self.keys(admin, namespace: "plain") {
                #expect(!key.lowercased().contains("alice") && !key.contains("1555"))
                everything += Array(key.utf8)
                let type = try admin.send([RedisCommand("TYPE", key)])[0].text
                let dump: RedisCommand = switch type {
                case "hash": RedisCommand("HGETALL", key)
                case "zset": RedisCommand("ZRANGE", key, "0", "-1", "WITHSCORES")
                default: RedisCommand("GET", key)
                }
                for value in try admin.send([dump])[0].elements ?? [try admin.send([dump])[0]] {
                    if case .bulk(let bytes) = value { everything += bytes }
                }
            }
            #expect(everything.count > 500)
            for code in codes {
                #expect(everything.firstRange(of: Array(code.utf8)) == nil)
            }
        }
    }

    /// Redis Cluster refuses a script whose keys are in different slots (CROSSSLOT), even on one
    /// node: every flow runs clean on a single-node cluster that owns all 16384 slots.
    @Test func everyStepRunsOnARedisCluster() async throws {
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = try RedisTestServer.freePort(below: 55536)
            do {
                try await withRedisServer(port: port, extra: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]) { server in
                    let admin = try server.connection()
                    #expect(try admin.send([RedisCommand("CLUSTER", "ADDSLOTSRANGE", "0", "16383")]) == [.simple("OK")])
                    _ = try await eventually {
                        let info = try admin.send([RedisCommand("CLUSTER", "INFO")])[0].text ?? ""
                        guard info.contains("cluster_state:ok") else { throw RedisError.unexpectedReply("cluster not ready") }
                    }
                    try await withRedisVerifier(server.endpoint, config: Self.lockAfterTwo) { f in
                        _ = try await Self.exerciseEveryKeyKind(f)
                        f.clock.advance(7200)
                        #expect(try await f.verifier.purgeExpired() > 0)
                        #expect(!f.log.lines.contains { $0.contains("store operation failed") })
                    }
                }
                return
            } catch let error as RedisTestServerError {
                lastError = error  // the cluster bus port (port + 10000) was taken: try another port
            }
        }
        Issue.record("no cluster node could start: \(String(describing: lastError))")
    }

    @Test func passwordIsSentWithAuth() async throws {
        let port = try RedisTestServer.freePort()
        try await withRedisServer(port: port, extra: ["--requirepass", "s3cret"]) { server in
            try await withRedisVerifier(try RedisEndpoint(url: "redis://:s3cret@127.0.0.1:\(port)")) { f in
                let issued = try await f.generic(email: "a@x.com")
                _ = try await f.verifyGeneric(.email("a@x.com"), issued.code)
            }
            try await withRedisVerifier(try RedisEndpoint(url: "redis://:wrong-one@127.0.0.1:\(port)")) { f in
                let refused = await failure { try await f.verifier.checkStore() }
                #expect(refused?.code == "service.unavailable")
                #expect(refused?.details?.contains("WRONGPASS") == true)
                #expect(refused?.details?.contains("wrong-one") == false)
                await expectFailure("service.unavailable") { try await f.generic(email: "a@x.com") }
                #expect(!f.log.lines.contains { $0.contains("wrong-one") })
            }
        }
    }

    @Test func aclUserLimitedToTheNamespaceIsEnough() async throws {
        let port = try RedisTestServer.freePort()
        try await withRedisServer(port: port) { server in
            let admin = try server.connection()
            #expect(try admin.send([RedisCommand("ACL", "SETUSER", "passcode", "on", ">p@ss", "~acl:*", "+@all")]) == [.simple("OK")])
            let endpoint = try RedisEndpoint(url: "redis://passcode:p%40ss@127.0.0.1:\(port)")
            try await withRedisVerifier(endpoint, namespace: "acl", config: Self.lockAfterTwo) { f in
                _ = try await Self.exerciseEveryKeyKind(f)
                _ = try await f.verifier.purgeExpired()
                #expect(!f.log.lines.contains { $0.contains("store operation failed") })
            }
        }
    }

    @Test func databaseNumberSelectsTheDatabase() async throws {
        try await withRedisServer { server in
            let endpoint = try RedisEndpoint(url: "redis+unix://\(server.socketPath)?db=3")
            try await withRedisVerifier(endpoint) { f in
                _ = try await f.generic(email: "a@x.com")
            }
            #expect(try server.connection(database: 3).send([RedisCommand("DBSIZE")]) == [.integer(3)])
            #expect(try server.connection(database: 0).send([RedisCommand("DBSIZE")]) == [.integer(0)])
        }
    }

    @Test func pipelinedRepliesComeBackInOrder() async throws {
        try await withRedisServer { server in
            let connection = try server.connection()
            let commands = (0..<200).map { n in n % 2 == 0 ? RedisCommand("INCR", "counter") : RedisCommand("ECHO", "e\(n)") }
            let replies = try connection.send(commands)
            for (n, reply) in replies.enumerated() {
                #expect(reply == (n % 2 == 0 ? .integer(Int64(n / 2 + 1)) : .bulk(Array("e\(n)".utf8))))
            }
            #expect(try connection.send([RedisCommand("NOSUCHCOMMAND")])[0].errorMessage?.hasPrefix("ERR") == true)
            #expect(try connection.send([RedisCommand("PING")]) == [.simple("PONG")])
        }
    }

    /// Redis runs four store threads so requests do not queue behind one round trip: four jobs
    /// that each wait for all four to have started can only finish if they run at once.
    @Test func redisStoreWorkerRunsJobsOnEveryThreadAtOnce() async throws {
        let endpoint = RedisEndpoint(address: .unix(path: "/nonexistent/redis.sock"))
        let worker = StoreWorker(name: "redis-test", threads: CodeVerifier.redisWorkerThreads) {
            try RedisStore(endpoint: endpoint, backoff: RedisBackoff())
        }
        let arrived = Arrivals()
        let threads = try await withThrowingTaskGroup(of: UInt.self) { group in
            for _ in 0..<CodeVerifier.redisWorkerThreads {
                group.addTask {
                    try await worker.perform { _ in
                        arrived.count.add(1, ordering: .relaxed)
                        // Wait for every job to have started (this one included), or give up after 10 s.
                        let deadline = ContinuousClock.now + .seconds(10)
                        while arrived.count.load(ordering: .relaxed) < CodeVerifier.redisWorkerThreads {
                            guard ContinuousClock.now < deadline else { return 0 }
                            usleep(1_000)
                        }
                        return UInt(bitPattern: Int(bitPattern: pthread_self()))
                    }
                }
            }
            return try await group.reduce(into: Set<UInt>()) { $0.insert($1) }
        }
        #expect(threads.count == CodeVerifier.redisWorkerThreads && !threads.contains(0))
        await worker.stop()
        await #expect(throws: StoreWorkerError.self) { try await worker.perform { try $0.ping() } }
    }

    @Test func refusedConnectionFailsAtOnceThenBacksOff() throws {
        let refusing = try RefusingPort()
        defer { withExtendedLifetime(refusing) {} }
        let port = refusing.port
        let client = RedisClient(endpoint: RedisEndpoint(address: .tcp(host: "127.0.0.1", port: port)), backoff: RedisBackoff(),
                                 scripts: RedisScript.all)
        let start = ContinuousClock.now
        #expect {
            try client.run([.command("PING")])
        } throws: { error in
            guard case .connectFailed = error as? RedisError else { return false }
            return true
        }
        #expect {
            try client.run([.command("PING")])
        } throws: { error in
            guard case .backingOff = error as? RedisError else { return false }
            return true
        }
        #expect(ContinuousClock.now - start < .milliseconds(500))
    }

    @Test(arguments: [
        "HTTP/1.1 400 Bad Request\r\n\r\n",
        "$99999999999\r\n",
        ":12x\r\n",
        "+OK\rno line feed\n",
    ])
    func serverSpeakingGarbageIsAProtocolErrorNotACrash(_ garbage: String) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let listener = try GarbageServer(path: directory + "/garbage.sock", reply: Array(garbage.utf8))
        defer { listener.close() }
        let client = RedisClient(endpoint: RedisEndpoint(address: .unix(path: listener.path)), backoff: RedisBackoff(), scripts: [])
        let (elapsed, error) = await timed { _ = try client.run([.command("PING")]) }
        let redisError = try #require(error as? RedisError)
        switch redisError {
        case .protocolViolation, .timedOut: break
        default: Issue.record("unexpected \(redisError)")
        }
        #expect(elapsed < .seconds(2))
    }

    @Test func serverThatNeverAnswersTimesOut() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let listener = try GarbageServer(path: directory + "/silent.sock", reply: [])
        defer { listener.close() }
        var options = RedisClient.Options()
        options.ioTimeout = .milliseconds(300)
        let client = RedisClient(endpoint: RedisEndpoint(address: .unix(path: listener.path)), options: options,
                                 backoff: RedisBackoff(), scripts: [])
        let (elapsed, error) = await timed { _ = try client.run([.command("PING")]) }
        #expect(error as? RedisError == .timedOut("read"))
        #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(2))
    }
}

/// A Unix-socket server that answers every connection with fixed bytes (or nothing) and keeps it
/// open: a broken or hostile "Redis".
final class GarbageServer: Sendable {
    let path: String
    private let fd: Int32

    init(path: String, reply: [UInt8]) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8))
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { throw RedisError.system(call: "bind", errno: errno) }
        let listener = fd
        let thread = Thread {
            var clients: [Int32] = []
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { break }
                clients.append(client)
                var buffer = [UInt8](repeating: 0, count: 1024)
                _ = recv(client, &buffer, buffer.count, 0)
                if !reply.isEmpty { _ = send(client, reply, reply.count, Int32(MSG_NOSIGNAL)) }
            }
            for client in clients { Glibc.close(client) }
        }
        thread.start()
    }

    /// Stops accepting (the accept loop ends) and closes the connections.
    func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}

private final class Arrivals: Sendable {
    let count = Atomic(0)
}
