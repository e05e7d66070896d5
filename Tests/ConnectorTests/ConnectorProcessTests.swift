import Contracts
import Foundation
import RPCCore
import SocketCore
import TestSupport
import Testing

/// The real `passcode-connector` executable, spoken to over its Unix socket.
@Suite(.serialized) struct ConnectorProcessTests {
    @Test func deliverWritesTheOutboxAndIdempotencyHoldsAcrossTheSocket() async throws {
        let dir = try TestDirectory(prefix: "cp")
        defer { dir.remove() }
        let connector = try await ServiceExecutable.start("connector", dataDirectory: dir.path)
        defer { connector.stop() }
        let loop = try EventLoop(name: "test-client")
        defer { loop.shutdown() }
        let client = RPCClient(path: connector.socketPath, loop: loop)
        let params = Connector.Deliver.Params(channel: .sms, to: "15551234567", templateType: .signIn,
                                              payload: .init(code: "424242"), idempotencyKey: "record-1")
        let first = try await client.call(Connector.Deliver.self, params)
        let second = try await client.call(Connector.Deliver.self, params)
        #expect(first == second)
        #expect(first.provider == "outbox")
        let outbox = try String(contentsOfFile: dir.path + "/outbox.jsonl", encoding: .utf8)
        #expect(outbox.split(separator: "\n").count == 1)
        #expect(outbox.contains("\"code\":\"424242\""))
        #expect(!connector.log.contains("424242"))
        let status = try await client.call(Connector.Status.self, Empty())
        #expect(status == .init(email: "outbox", sms: "outbox"))
        await client.close()
    }

    @Test func disabledChannelIsConnectorNotFound() async throws {
        let dir = try TestDirectory(prefix: "cn")
        defer { dir.remove() }
        let connector = try await ServiceExecutable.start("connector", dataDirectory: dir.path, environment: ["PASSCODE_SMS_PROVIDER": "none"])
        defer { connector.stop() }
        let loop = try EventLoop(name: "test-client")
        defer { loop.shutdown() }
        let client = RPCClient(path: connector.socketPath, loop: loop)
        await #expect(throws: ServiceError.connectorNotFound(.sms)) {
            _ = try await client.call(Connector.Deliver.self, .init(channel: .sms, to: "1555", templateType: .generic,
                                                                    payload: .init(code: "1"), idempotencyKey: "k"))
        }
        #expect(connector.stop() == 0)
        await client.close()
    }
}
