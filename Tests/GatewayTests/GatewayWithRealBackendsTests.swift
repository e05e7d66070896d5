import ConfigCore
import Contracts
import Foundation
@testable import GatewayService
import LogCore
import RPCCore
import SocketCore
import TestSupport
import Testing

/// The gateway's behaviour against the real `passcode-verifier` and `passcode-connector` processes
/// on temp sockets, through the same RPC clients the gateway process uses.
@Suite(.serialized) struct GatewayWithRealBackendsTests {
    final class Stack: @unchecked Sendable {
        // @unchecked: set up once in init, then only read; the processes are Foundation-managed.
        let dir: TestDirectory
        var verifier: ServiceExecutable
        let connector: ServiceExecutable
        let loop: EventLoop
        let api: GatewayAPI
        let backends: Backends

        init(env: [String: String] = [:]) async throws {
            dir = try TestDirectory(prefix: "gw")
            verifier = try await ServiceExecutable.start("verifier", dataDirectory: dir.path, environment: env)
            connector = try await ServiceExecutable.start("connector", dataDirectory: dir.path, environment: env)
            loop = try EventLoop(name: "gateway-test")
            let config = try GatewayConfig.load(Environment(["PASSCODE_API_KEYS": "gw-key-123456", "PASSCODE_DATA_DIR": dir.path]))
            let secret = try String(contentsOfFile: dir.path + "/secret", encoding: .utf8)
            api = GatewayAPI(config: config, secrets: [Array(secret.utf8)], logger: Logger(service: "gw-test", sink: DiscardSink()))
            backends = Backends(
                verifier: RPCClientBackend(client: RPCClient(path: verifier.socketPath, loop: loop), deadline: .seconds(30)),
                connector: RPCClientBackend(client: RPCClient(path: connector.socketPath, loop: loop), deadline: .seconds(5)))
        }

        func stop() {
            verifier.stop()
            connector.stop()
            loop.shutdown()
            dir.remove()
        }

        func send(_ email: String) async -> GatewayResponse {
            await api.handle(post("/api/verification-codes", #"{"email":"\#(email)"}"#, auth: "Bearer gw-key-123456"), backends: backends)
        }

        func verify(_ email: String, _ code: String) async -> GatewayResponse {
            await api.handle(post("/api/verification-codes/verify", #"{"email":"\#(email)","verificationCode":"\#(code)"}"#,
                                  auth: "Bearer gw-key-123456"), backends: backends)
        }

        func lastCode() throws -> String {
            let text = try String(contentsOfFile: dir.path + "/outbox.jsonl", encoding: .utf8)
            let line = try #require(text.split(separator: "\n").last)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try #require(object["code"] as? String)
        }
    }

    @Test func sendAndVerifyThroughRealBackends() async throws {
        let stack = try await Stack()
        defer { stack.stop() }
        #expect(await stack.send("ada@example.com").status == 204)
        #expect(await stack.verify("ada@example.com", try stack.lastCode()).status == 204)
        let ready = await stack.api.handle(GatewayRequest(method: "GET", path: "/readyz"), backends: stack.backends)
        #expect(ready.status == 200)
    }

    @Test func verifierDownIsAFast503WithRetryAfterAndServiceResumesWhenItIsBack() async throws {
        let stack = try await Stack()
        defer { stack.stop() }
        #expect(await stack.send("bob@example.com").status == 204)
        let code = try stack.lastCode()
        stack.verifier.kill9()
        let (down, took) = await elapsed { await stack.verify("bob@example.com", code) }
        #expect(down.status == 503)
        #expect(errorCode(down) == "service.unavailable")
        #expect(down.headers.contains { $0.name == "Retry-After" })
        #expect(took < .seconds(10))  // the 30 s deadline was not waited for: a refused connect answers at once
        let notReady = await stack.api.handle(GatewayRequest(method: "GET", path: "/readyz"), backends: stack.backends)
        #expect(notReady.status == 503)
        stack.verifier = try await ServiceExecutable.start("verifier", dataDirectory: stack.dir.path)
        try await waitUntil("verifier answers again", timeout: .seconds(10)) {
            await stack.api.handle(GatewayRequest(method: "GET", path: "/readyz"), backends: stack.backends).status == 200
        }
        #expect(await stack.verify("bob@example.com", code).status == 204)
    }

    @Test func connectorDownFailsTheSendReleasesTheSlotAndKeepsTheRecord() async throws {
        let stack = try await Stack(env: ["PASSCODE_SEND_LIMIT": "1"])
        defer { stack.stop() }
        stack.connector.stop()
        let failed = await stack.send("cy@example.com")
        #expect(failed.status == 503)
        // The record stays (a verify says code_mismatch, as Logto) and the failed send did not use
        // the only slot: a later send still passes once the connector is back.
        #expect(errorCode(await stack.verify("cy@example.com", "000000")) == "verification_code.code_mismatch")
        let connector = try await ServiceExecutable.start("connector", dataDirectory: stack.dir.path)
        defer { connector.stop() }
        try await waitUntil("connector answers again", timeout: .seconds(10)) {
            await stack.api.handle(GatewayRequest(method: "GET", path: "/readyz"), backends: stack.backends).status == 200
        }
        #expect(await stack.send("cy@example.com").status == 204)
        #expect(await stack.send("cy@example.com").status == 429)
    }
}
