import Contracts
import Foundation
import RPCCore
import SocketCore
import TestSupport
import Testing

/// The real `passcode-verifier` executable with `PASSCODE_STORE=redis+unix://…`: two processes
/// (two hosts of a fleet, each with its own data directory) on one Redis, over their RPC sockets.
@Suite(.serialized) struct RedisProcessTests {
    let email = Identifier(type: .email, value: "ada@example.com")

    /// A call, retried while the just-started process is not accepting yet.
    static func call<M: RPCMethod>(_ client: RPCClient, _ method: M.Type, _ params: M.Params) async throws -> M.Result {
        try await eventually(timeout: .seconds(10)) { try await client.call(method, params) }
    }

    @Test func twoVerifierProcessesOnOneRedisShareCodesLimitsAndLockouts() async throws {
        try await withRedisServer { server in
            // A fleet shares its secret (codes are HMACs under it) and its Redis.
            let environment = ["PASSCODE_STORE": "redis+unix://\(server.socketPath)", "PASSCODE_SECRET": "fleet-secret-0123456789abcdef",
                               "PASSCODE_LOCKOUT_ATTEMPTS": "3"]
            let dirA = try TestDirectory(prefix: "ra")
            defer { dirA.remove() }
            let dirB = try TestDirectory(prefix: "rb")
            defer { dirB.remove() }
            let a = try await ServiceExecutable.start("verifier", dataDirectory: dirA.path, environment: environment)
            defer { a.stop() }
            let b = try await ServiceExecutable.start("verifier", dataDirectory: dirB.path, environment: environment)
            defer { b.stop() }
            let loop = try EventLoop(name: "test-client")
            defer { loop.shutdown() }
            let clientA = RPCClient(path: a.socketPath, loop: loop)
            let clientB = RPCClient(path: b.socketPath, loop: loop)

            let health = try await Self.call(clientB, Verifier.Health.self, Empty())
            #expect(health.store == "redis" && health.storeReachable)

            // A code sent through A verifies through B.
            let issued = try await Self.call(clientA, Verifier.CodeIssue.self, .init(scope: .generic, identifier: email, templateType: .generic))
            let ok = try await Self.call(clientB, Verifier.CodeVerify.self,
                                         .init(scope: .generic, identifier: email, verificationId: nil, code: issued.code))
            #expect(ok.verificationId == issued.verificationId)

            // The per-recipient send limit counts sends through A and B together.
            for n in 1..<10 {
                _ = try await (n % 2 == 0 ? clientA : clientB).call(
                    Verifier.CodeIssue.self, .init(scope: .generic, identifier: email, templateType: .generic))
            }
            await #expect(throws: ServiceError.self) {
                _ = try await clientA.call(Verifier.CodeIssue.self, .init(scope: .generic, identifier: email, templateType: .generic))
            }

            // A lockout set through A blocks on B.
            let other = Identifier(type: .phone, value: "15550001111")
            let interaction = try await clientA.call(Verifier.InteractionStart.self, .init(event: .signIn))
            let scoped = try await clientB.call(Verifier.CodeIssue.self, .init(scope: .interaction(interaction.interactionId),
                                                                               identifier: other, templateType: .signIn))
            var codes: [String] = []
            for _ in 0..<3 {
                do {
                    _ = try await clientA.call(Verifier.CodeVerify.self, .init(scope: .interaction(interaction.interactionId), identifier: other,
                                                                               verificationId: scoped.verificationId, code: ""))
                } catch let error as ServiceError {
                    codes.append(error.code)
                }
            }
            #expect(codes == ["verification_code.not_found", "verification_code.not_found",
                              "session.verification_blocked_too_many_attempts"])
            do {
                _ = try await clientB.call(Verifier.CodeVerify.self, .init(scope: .interaction(interaction.interactionId), identifier: other,
                                                                           verificationId: scoped.verificationId, code: scoped.code))
                Issue.record("a locked identifier verified through the other verifier")
            } catch let error as ServiceError {
                #expect(error.code == "session.verification_blocked_too_many_attempts")
            }
            await clientA.close()
            await clientB.close()
        }
    }

    @Test func badRedisURLStopsTheStartWithoutShowingThePassword() async throws {
        let dir = try TestDirectory(prefix: "rc")
        defer { dir.remove() }
        do {
            let verifier = try await ServiceExecutable.start("verifier", dataDirectory: dir.path,
                                                 environment: ["PASSCODE_STORE": "redis://app:hunter2@cache:notaport"], timeout: .seconds(10))
            verifier.stop()
            Issue.record("the verifier started with a malformed Redis URL")
        } catch let error as ServiceExecutableError {
            #expect(error.description.contains("PASSCODE_STORE"))
            #expect(!error.description.contains("hunter2"))
        }
    }
}
