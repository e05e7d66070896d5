import ConfigCore
import CryptoCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import HTTPCore
import LifecycleCore
import LogCore
import RPCCore
import SocketCore

/// The gateway as a process: an HTTP server on one loop per core, each loop with its own RPC
/// clients to the verifier and the connector, so a request stays on its thread from read to write.
public final class GatewayProcess: Service {
    public let name = "gateway"
    let config: GatewayConfig
    let api: GatewayAPI
    let group: EventLoopGroup
    let server: HTTPServer
    let clients: [RPCClient]
    let logger: Logger

    public init(environment: Environment, logger: Logger) throws {
        config = try GatewayConfig.load(environment)
        self.logger = logger
        let secrets = try ServerSecrets.load(environment: environment, dataDirectory: config.dataDirectory)
        api = GatewayAPI(config: config, secrets: secrets.all, logger: logger)
        group = try EventLoopGroup(threads: config.eventLoops, name: "gateway-loop")
        let verifierPath = environment.string("PASSCODE_VERIFIER_SOCKET", default: config.dataDirectory.verifierSocket)
        let connectorPath = environment.string("PASSCODE_CONNECTOR_SOCKET", default: config.dataDirectory.connectorSocket)
        var clients: [RPCClient] = []
        var backends: [Backends] = []
        for loop in group.loops {
            let verifier = RPCClient(path: verifierPath, loop: loop, logger: logger)
            let connector = RPCClient(path: connectorPath, loop: loop, logger: logger)
            clients += [verifier, connector]
            backends.append(Backends(verifier: RPCClientBackend(client: verifier, deadline: config.rpcDeadline),
                                     connector: RPCClientBackend(client: connector, deadline: config.deliveryDeadline)))
        }
        self.clients = clients
        var limits = HTTPLimits()
        limits.deliverOversizeRequests = true
        let serverConfig = HTTPServer.Configuration(
            host: config.listenHost, port: config.listenPort, limits: limits, headerTimeout: config.headerTimeout,
            idleTimeout: config.idleTimeout, maxConnections: config.maxConnections)
        let api = self.api
        let perLoop = backends
        server = HTTPServer(configuration: serverConfig, loops: group.loops, logger: logger) { request, context in
            let response = await api.handle(GatewayRequest(request, context: context), backends: perLoop[context.loopIndex])
            return HTTPResponse(response)
        }
    }

    public func start() async throws {
        _ = FileDescriptorLimit.raiseToMaximum()
        let address: SocketAddress
        do {
            // Port 0 after a restart by `passcode up`: the port picked last time, which the ready line
            // announced and clients use, if it is still free (the launcher removes the file on start).
            address = try await server.start(preferredPort: config.listenPort == 0 ? config.dataDirectory.gatewayAddress()?.port : nil)
        } catch {
            throw StartupError("cannot listen on \(config.listenHost):\(config.listenPort): \(error)", exitCode: 69)
        }
        for client in clients { client.connect() }
        guard case .ip(let host, let port) = address else { return }
        try writeAddressFile(host: host, port: port)
        logger.notice("listening", ["address": "\(host):\(port)"])
    }

    /// `<data dir>/gateway.address`, written atomically, so `passcode up` can report port 0's pick.
    private func writeAddressFile(host: String, port: Int) throws {
        let path = config.dataDirectory.gatewayAddressFile
        let temporary = path + ".tmp"
        try "\(host):\(port)\n".write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, path) == 0 else { throw StartupError("cannot write \(path)", exitCode: 73) }
    }

    public func shutdown(grace: Duration) async {
        await server.shutdown(grace: grace)
        for client in clients { await client.close() }
        await group.shutdownGracefully()
    }
}

extension GatewayRequest {
    init(_ request: HTTPRequest, context: HTTPRequestContext) {
        var peer = "unknown"
        if case .ip(let host, _)? = context.peer { peer = host }
        self.init(method: request.method, path: request.path,
                  headers: request.headers.map { (name: $0.name, value: $0.value) },
                  body: request.body, bodyTooLarge: request.bodyTooLarge, peer: peer)
    }
}

extension HTTPResponse {
    init(_ response: GatewayResponse) {
        self.init(status: HTTPStatus(response.status),
                  headers: HTTPHeaders(response.headers.map { HTTPField(name: $0.name, value: $0.value) }),
                  body: response.body)
    }
}
