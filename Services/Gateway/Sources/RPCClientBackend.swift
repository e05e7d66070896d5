import Contracts
import RPCCore

/// A backend reached through a multiplexed RPC client bound to one event loop.
struct RPCClientBackend: RPCBackend {
    let client: RPCClient
    let deadline: Duration

    func call<M: RPCMethod>(_ method: M.Type, _ params: M.Params, rid: String?) async throws -> M.Result {
        try await client.call(method, params, deadline: deadline, rid: rid)
    }
}
