import Contracts

/// Something that answers the RPC methods of one backend service. In production an RPC client on
/// the request's own event loop; tests may pass an in-process implementation.
public protocol RPCBackend: Sendable {
    func call<M: RPCMethod>(_ method: M.Type, _ params: M.Params, rid: String?) async throws -> M.Result
}

/// The two backends a request may use, owned by the event loop that serves it.
public struct Backends: Sendable {
    public var verifier: any RPCBackend
    public var connector: any RPCBackend

    public init(verifier: any RPCBackend, connector: any RPCBackend) {
        self.verifier = verifier
        self.connector = connector
    }
}

extension RPCBackend {
    /// Calls and normalizes every failure to a `ServiceError`.
    func invoke<M: RPCMethod>(_ method: M.Type, _ params: M.Params, rid: String?) async throws(ServiceError) -> M.Result {
        do {
            return try await call(method, params, rid: rid)
        } catch let error as ServiceError {
            throw error
        } catch {
            throw .unavailable()
        }
    }
}
