import Contracts
import Foundation
import Testing
@testable import VerifierService

/// Redis down, stuck or restarted under a running verifier (issue 6): 503 quickly, never a hang,
/// service resumes without recreating the verifier, codes survive a restart with AOF on.
@Suite struct RedisOutageTests {
    /// The bound on one failing call: the 1 s I/O timeout plus scheduling slack on a busy machine.
    /// Guards against a hang (calls waiting on a dead Redis indefinitely), not a latency figure: the
    /// client gives up after its 1 s connect/read timeout, the margin absorbs a heavily loaded machine.
    static let failFastBound: Duration = .seconds(10)

    /// Expects `body` to fail with `service.unavailable` within the bound.
    static func expectFastUnavailable(_ what: String, _ body: () async throws -> Void,
                                      sourceLocation: SourceLocation = #_sourceLocation) async {
        let (elapsed, error) = await timed(body)
        #expect((error as? ServiceError)?.code == "service.unavailable", "\(what): \(String(describing: error))",
                sourceLocation: sourceLocation)
        #expect(elapsed < failFastBound, "\(what) took \(elapsed)", sourceLocation: sourceLocation)
    }

    @Test func stoppedRedisAnswersServiceUnavailableQuickly() async throws {
        try await withRedisServer { server in
            try await withRedisVerifier(server.endpoint) { f in
                let issued = try await f.generic(email: "a@x.com")
                let i = try await f.startInteraction()
                server.stop()
                for round in 0..<5 {
                    await Self.expectFastUnavailable("issue \(round)") { _ = try await f.generic(email: "b@x.com") }
                    await Self.expectFastUnavailable("verify \(round)") { _ = try await f.verifyGeneric(.email("a@x.com"), issued.code) }
                    await Self.expectFastUnavailable("interaction \(round)") { _ = try await f.issue(in: i, .email("a@x.com")) }
                }
                let (elapsed, _) = await timed {
                    let health = await f.verifier.health()
                    #expect(health.store == "redis")
                    #expect(!health.storeReachable)
                }
                #expect(elapsed < Self.failFastBound)
                #expect(f.log.lines.contains { $0.contains("store operation failed") })
            }
        }
    }

    @Test func frozenRedisTimesOutInsteadOfHanging() async throws {
        try await withRedisServer { server in
            try await withRedisVerifier(server.endpoint) { f in
                let issued = try await f.generic(email: "a@x.com")
                server.freeze(true)
                defer { server.freeze(false) }
                // Several at once: every worker thread's connection is stuck, none may hang.
                await withTaskGroup(of: Void.self) { group in
                    for n in 0..<8 {
                        group.addTask {
                            await Self.expectFastUnavailable("verify \(n)") { _ = try await f.verifyGeneric(.email("a@x.com"), issued.code) }
                        }
                    }
                }
                server.freeze(false)
                _ = try await eventually { try await f.verifyGeneric(.email("a@x.com"), issued.code) }
            }
        }
    }

    @Test func restartedRedisOnTheSamePortServesAgainWithoutANewVerifier() async throws {
        let port = try RedisTestServer.freePort()
        try await withRedisServer(port: port) { server in
            let endpoint = try #require(server.tcpEndpoint)
            try await withRedisVerifier(endpoint) { f in
                _ = try await f.generic(email: "a@x.com")
                server.stop()
                await Self.expectFastUnavailable("issue while down") { _ = try await f.generic(email: "a@x.com") }
                try server.start()
                // A fresh server knows none of our scripts; the verifier reconnects and loads them.
                let issued = try await eventually { try await f.generic(email: "a@x.com") }
                _ = try await f.verifyGeneric(.email("a@x.com"), issued.code)
                let i = try await f.startInteraction()
                let scoped = try await f.issue(in: i, .phone("15550001111"), clientIP: "203.0.113.9")
                _ = try await f.verify(in: i, .phone("15550001111"), id: scoped.verificationId, code: scoped.code)
                #expect(await f.verifier.health().storeReachable)
            }
        }
    }

    @Test func codesIssuedBeforeARestartStillVerifyWithAppendOnlyFile() async throws {
        try await withRedisServer(persistent: true) { server in
            try await withRedisVerifier(server.endpoint) { f in
                let generic = try await f.generic(email: "a@x.com")
                let i = try await f.startInteraction()
                let scoped = try await f.issue(in: i, .email("a@x.com"))
                await expectFailure("verification_code.code_mismatch") { try await f.verifyGeneric(.email("a@x.com"), wrong(generic.code)) }
                server.stop()
                try server.start()
                _ = try await eventually { try await f.verifier.checkStore() }
                _ = try await f.verifyGeneric(.email("a@x.com"), generic.code)
                _ = try await f.verify(in: i, .email("a@x.com"), id: scoped.verificationId, code: scoped.code)
                await expectFailure("verification_code.not_found") { try await f.verifyGeneric(.email("a@x.com"), generic.code) }
            }
        }
    }

    @Test func flushedScriptCacheIsReloadedThroughEval() async throws {
        try await withRedisServer { server in
            try await withRedisVerifier(server.endpoint) { f in
                _ = try await f.generic(email: "a@x.com")
                let admin = try server.connection()
                #expect(try admin.send([RedisCommand("SCRIPT", "FLUSH")]) == [.simple("OK")])
                // Every worker thread's next script meets NOSCRIPT, falls back to EVAL and succeeds.
                for _ in 0..<8 {
                    let issued = try await f.generic(email: "a@x.com")
                    _ = try await f.verifyGeneric(.email("a@x.com"), issued.code)
                }
                let cached = try admin.send([RedisCommand(["SCRIPT", "EXISTS"] + [RedisScript.verifyGeneric.source].map(sha1Hex))])
                #expect(cached == [.array([.integer(1)])])
            }
        }
    }

    @Test func verifierStartedWhileRedisIsDownServesOnceItIsUp() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = RedisTestServer(directory: directory)
        defer { server.stop() }
        try await withRedisVerifier(server.endpoint) { f in
            await Self.expectFastUnavailable("check store") { try await f.verifier.checkStore() }
            #expect(!(await f.verifier.health().storeReachable))
            try server.start()
            _ = try await eventually { try await f.verifier.checkStore() }
            let issued = try await f.generic(email: "a@x.com")
            _ = try await f.verifyGeneric(.email("a@x.com"), issued.code)
        }
    }
}

/// SHA-1 of a script: the name Redis caches it under (FIPS 180-4 §6.1). Computed here so the
/// check does not lean on the script cache it inspects.
private func sha1Hex(_ source: String) -> String {
    var message = Array(source.utf8)
    let bitLength = UInt64(message.count) * 8
    message.append(0x80)
    while message.count % 64 != 56 { message.append(0) }
    for shift in stride(from: 56, through: 0, by: -8) { message.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
    var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
    for chunk in stride(from: 0, to: message.count, by: 64) {
        var w = [UInt32](repeating: 0, count: 80)
        for t in 0..<16 {
            w[t] = (0..<4).reduce(0) { $0 << 8 | UInt32(message[chunk + t * 4 + $1]) }
        }
        for t in 16..<80 {
            let x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]
            w[t] = x << 1 | x >> 31
        }
        var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
        for t in 0..<80 {
            let (f, k): (UInt32, UInt32) = switch t {
            case 0..<20: ((b & c) | (~b & d), 0x5A82_7999)
            case 20..<40: (b ^ c ^ d, 0x6ED9_EBA1)
            case 40..<60: ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
            default: (b ^ c ^ d, 0xCA62_C1D6)
            }
            let temp = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[t]
            (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, temp)
        }
        h = [h[0] &+ a, h[1] &+ b, h[2] &+ c, h[3] &+ d, h[4] &+ e]
    }
    return h.map { String($0, radix: 16).leftPadded(to: 8) }.joined()
}

private extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
