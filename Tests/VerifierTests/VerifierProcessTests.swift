import Contracts
import Foundation
import RPCCore
import SocketCore
import TestSupport
import Testing

/// The real `passcode-verifier` executable, spoken to over its Unix socket.
@Suite(.serialized) struct VerifierProcessTests {
    static func withVerifier(_ env: [String: String] = [:],
                             _ body: (ServiceExecutable, RPCClient, TestDirectory) async throws -> Void) async throws {
        let dir = try TestDirectory(prefix: "vp")
        defer { dir.remove() }
        let verifier = try await ServiceExecutable.start("verifier", dataDirectory: dir.path, environment: env)
        defer { verifier.stop() }
        let loop = try EventLoop(name: "test-client")
        defer { loop.shutdown() }
        let client = RPCClient(path: verifier.socketPath, loop: loop)
        try await body(verifier, client, dir)
        await client.close()
    }

    let email = Identifier(type: .email, value: "ada@example.com")

    @Test func issueAndVerifyOverTheSocket() async throws {
        try await Self.withVerifier { _, client, _ in
            let issued = try await client.call(Verifier.CodeIssue.self, .init(scope: .generic, identifier: email, templateType: .generic))
            #expect(issued.code.count == 6)
            await #expect(throws: ServiceError.codeMismatch) {
                _ = try await client.call(Verifier.CodeVerify.self, .init(scope: .generic, identifier: email, verificationId: nil,
                                                                          code: issued.code == "000000" ? "111111" : "000000"))
            }
            let ok = try await client.call(Verifier.CodeVerify.self, .init(scope: .generic, identifier: email, verificationId: nil, code: issued.code))
            #expect(ok.verificationId == issued.verificationId)
            await #expect(throws: ServiceError.codeNotFound) {
                _ = try await client.call(Verifier.CodeVerify.self, .init(scope: .generic, identifier: email, verificationId: nil, code: issued.code))
            }
            let health = try await client.call(Verifier.Health.self, Empty())
            #expect(health.store == "sqlite" && health.storeReachable)
        }
    }

    @Test func interactionFlowOverTheSocket() async throws {
        try await Self.withVerifier { _, client, _ in
            let handle = try await client.call(Verifier.InteractionStart.self, .init(event: .signIn))
            let issued = try await client.call(Verifier.CodeIssue.self, .init(scope: .interaction(handle.interactionId), identifier: email,
                                                                              templateType: .signIn, clientIP: "127.0.0.1"))
            let view = try await client.call(Verifier.InteractionGet.self, .init(interactionId: handle.interactionId))
            #expect(view.verificationRecords.map(\.id) == [issued.verificationId])
            let ok = try await client.call(Verifier.CodeVerify.self, .init(scope: .interaction(handle.interactionId), identifier: email,
                                                                           verificationId: issued.verificationId, code: issued.code))
            #expect(ok.verificationId == issued.verificationId)
            await #expect(throws: ServiceError.sessionNotFound) {
                _ = try await client.call(Verifier.InteractionGet.self, .init(interactionId: "nope"))
            }
        }
    }

    @Test func malformedParamsAndUnknownMethodsAreTypedErrorsAndTheProcessSurvives() async throws {
        try await Self.withVerifier { verifier, client, _ in
            // A raw frame with the wrong params shape: the reply is guard.invalid_input.
            let socket = try RawSocket(connectingTo: .unix(path: verifier.socketPath))
            let body = Array(#"{"v":1,"id":1,"method":"code.issue","params":{"scope":{"kind":"generic"},"identifier":7}}"#.utf8)
            let length = UInt32(body.count)
            try socket.send([UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)] + body)
            let head = try socket.receive(exactly: 4)
            let replyLength = Int(head[0]) << 24 | Int(head[1]) << 16 | Int(head[2]) << 8 | Int(head[3])
            let reply = String(decoding: try socket.receive(exactly: replyLength), as: UTF8.self)
            #expect(reply.contains("guard.invalid_input"))
            // A garbage length closes only that connection.
            try socket.send([0xFF, 0xFF, 0xFF, 0xFF])
            _ = try? socket.receiveUntilClose()
            #expect(verifier.isRunning)
            #expect(try await client.call(Verifier.Health.self, Empty()).storeReachable)
        }
    }

    @Test func sigkillThenRestartKeepsLiveCodesValid() async throws {
        let dir = try TestDirectory(prefix: "vk")
        defer { dir.remove() }
        let loop = try EventLoop(name: "test-client")
        defer { loop.shutdown() }
        var verifier = try await ServiceExecutable.start("verifier", dataDirectory: dir.path)
        var client = RPCClient(path: verifier.socketPath, loop: loop)
        var issued: [(Identifier, String)] = []
        for i in 0..<20 {
            let who = Identifier(type: .phone, value: "1555000\(1000 + i)")
            issued.append((who, try await client.call(Verifier.CodeIssue.self, .init(scope: .generic, identifier: who, templateType: .generic)).code))
        }
        verifier.kill9()
        await client.close()
        verifier = try await ServiceExecutable.start("verifier", dataDirectory: dir.path)
        defer { verifier.stop() }
        client = RPCClient(path: verifier.socketPath, loop: loop)
        for (who, code) in issued {
            _ = try await client.call(Verifier.CodeVerify.self, .init(scope: .generic, identifier: who, verificationId: nil, code: code))
        }
        await client.close()
    }

    /// Two verifiers on one SQLite file (here a second data directory whose database is a link to
    /// the first's): the second stops at start and says why; the first keeps serving.
    @Test func aSecondVerifierOnTheSameDatabaseRefusesToStart() async throws {
        try await Self.withVerifier { _, client, dir in
            let other = try TestDirectory(prefix: "v2")
            defer { other.remove() }
            #expect(symlink(dir.file("passcode.sqlite"), other.file("passcode.sqlite")) == 0)
            let refusal = await #expect(throws: ServiceExecutableError.self) {
                _ = try await ServiceExecutable.start("verifier", dataDirectory: other.path, timeout: .seconds(60))
            }
            #expect(refusal?.description.contains("store unavailable") == true, "\(String(describing: refusal))")
            #expect(refusal?.description.contains("is open in another process") == true)
            let health = try await client.call(Verifier.Health.self, Empty())
            #expect(health.store == "sqlite" && health.storeReachable)
        }
    }

    @Test func sigtermDrainsAndExitsZeroRemovingTheSocket() async throws {
        let dir = try TestDirectory(prefix: "vt")
        defer { dir.remove() }
        let verifier = try await ServiceExecutable.start("verifier", dataDirectory: dir.path)
        #expect(verifier.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: verifier.socketPath))
    }

    @Test func badConfigurationExits78() async throws {
        let dir = try TestDirectory(prefix: "vc")
        defer { dir.remove() }
        await #expect(throws: ServiceExecutableError.self) {
            _ = try await ServiceExecutable.start("verifier", dataDirectory: dir.path, environment: ["PASSCODE_MAX_ATTEMPTS": "0"], timeout: .seconds(10))
        }
    }
}
