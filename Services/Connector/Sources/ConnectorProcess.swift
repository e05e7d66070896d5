import ConfigCore
import Contracts
import LifecycleCore
import LogCore
import RPCCore
import SocketCore

/// The connector as a process: `ConnectorCore` served over the RPC socket in the data directory.
public final class ConnectorProcess: Service {
    public let name = "connector"
    let core: ConnectorCore
    let server: RPCServer
    let group: EventLoopGroup
    let logger: Logger

    public init(environment: Environment, logger: Logger) throws {
        let config = try ConnectorConfig.load(environment)
        self.logger = logger
        core = try ConnectorCore(config: config, logger: logger)
        group = try EventLoopGroup(threads: try environment.int("PASSCODE_CONNECTOR_THREADS", default: 1, range: 1...64),
                                   name: "connector-loop")
        server = RPCServer(path: environment.string("PASSCODE_CONNECTOR_SOCKET", default: config.dataDirectory.connectorSocket),
                           group: group, logger: logger)
        let core = self.core
        server.register(Connector.Deliver.self) { params, context in try await core.deliver(params, on: context.loop) }
        server.register(Connector.Status.self) { _, _ in core.status() }
    }

    public func start() async throws {
        do {
            try await server.start()
        } catch {
            throw StartupError("cannot listen on \(server.path): \(error)", exitCode: 69)
        }
        logger.notice("listening", ["socket": server.path, "email": core.status().email ?? "none", "sms": core.status().sms ?? "none"])
    }

    public func shutdown(grace: Duration) async {
        await server.shutdown(grace: grace)
        await group.shutdownGracefully()
    }
}
