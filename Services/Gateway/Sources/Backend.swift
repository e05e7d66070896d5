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
    /// Calls and normalizes every failure to a `ServiceError`. Inlined, so each call site's method
    /// type is concrete where the RPC client is called.
    @inline(__always)
    func invoke<M: RPCMethod>(_ method: M.Type, _ params: M.Params, rid: String?) async throws(ServiceError) -> M.Result {
        do {
            // The production backend is called as itself: through the existential, `call` and the
            // RPC client under it would run unspecialised (issue 7: a run-time metadata lookup for
            // each generic type on the way, several per request).
            if let backend = self as? RPCClientBackend {
                return try await backend.client.call(method, params, deadline: backend.deadline, rid: rid)
            }
            return try await call(method, params, rid: rid)
        } catch let error as ServiceError {
            throw error
        } catch {
            throw .unavailable()
        }
    }
}
