import ConfigCore
import Contracts
import CryptoCore
import LifecycleCore
import LogCore
import RPCCore
import SocketCore

/// The verifier as a process: its `CodeVerifier` served over the RPC socket in the data directory,
/// plus the background purge of expired rows.
public final class VerifierProcess: Service {
    public let name = "verifier"
    let verifier: CodeVerifier
    let config: VerifierConfig
    let server: RPCServer
    let group: EventLoopGroup
    let logger: Logger
    private let purge = TaskHolder()

    public init(environment: Environment, logger: Logger) throws {
        let config = try VerifierConfig.load(environment)
        self.config = config
        let dataDirectory = DataDirectory(environment)
        do { try dataDirectory.ensureExists() } catch {
            throw ConfigError(variable: "PASSCODE_DATA_DIR", problem: "cannot create \(dataDirectory.path)")
        }
        let secrets = try ServerSecrets.load(environment: environment, dataDirectory: dataDirectory)
        self.logger = logger
        verifier = try CodeVerifier(config: config, secrets: secrets, dataDirectory: dataDirectory, logger: logger)
        group = try EventLoopGroup(threads: try environment.int("PASSCODE_VERIFIER_THREADS", default: 1, range: 1...64),
                                   name: "verifier-loop")
        server = RPCServer(path: environment.string("PASSCODE_VERIFIER_SOCKET", default: dataDirectory.verifierSocket),
                           group: group, logger: logger)
        Self.register(verifier, on: server)
    }

    /// Binds every `Verifier.*` RPC method to the verifier, one to one.
    static func register(_ verifier: CodeVerifier, on server: RPCServer) {
        server.register(Verifier.InteractionStart.self) { params, _ in try await verifier.startInteraction(params) }
        server.register(Verifier.InteractionReset.self) { params, _ in try await verifier.resetInteraction(params) }
        server.register(Verifier.InteractionGet.self) { params, _ in try await verifier.getInteraction(params) }
        server.register(Verifier.CodeIssue.self) { params, _ in try await verifier.issue(params) }
        server.register(Verifier.CodeReleaseSlot.self) { params, _ in try await verifier.releaseSlot(params) }
        server.register(Verifier.CodeVerify.self) { params, _ in try await verifier.verify(params) }
        server.register(Verifier.Health.self) { _, _ in await verifier.health() }
    }

    public func start() async throws {
        do {
            try await verifier.checkStore()
        } catch {
            // A SQLite file that cannot be opened will not fix itself: stop. A shared Redis may just
            // be restarting: serve anyway (calls answer 503 and `/readyz` says so until it is back).
            guard case .redis = config.store else {
                throw StartupError("store unavailable: \(error.details ?? error.message)", exitCode: 74)
            }
            logger.warning("store unavailable at start; serving 503 until it answers", ["store": "redis"])
        }
        do {
            try await server.start()
        } catch {
            throw StartupError("cannot listen on \(server.path): \(error)", exitCode: 69)
        }
        let verifier = self.verifier
        purge.set(Task { await verifier.runPurgeLoop() })
        logger.notice("listening", ["socket": server.path])
    }

    public func shutdown(grace: Duration) async {
        await server.shutdown(grace: grace)
        purge.cancel()
        await verifier.shutdown()
        await group.shutdownGracefully()
    }
}
