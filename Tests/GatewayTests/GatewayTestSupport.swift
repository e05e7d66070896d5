import ConfigCore
import Contracts
import CryptoCore
import Foundation
@testable import GatewayService
import LogCore

/// A backend that must never be reached: the checks under test answer before any RPC.
struct UnreachableBackend: RPCBackend {
    func call<M: RPCMethod>(_ method: M.Type, _ params: M.Params, rid: String?) async throws -> M.Result {
        throw ServiceError(code: "test.unexpected_rpc", message: "unexpected RPC \(M.name)", status: 599)
    }
}

let secret: [UInt8] = Array("test-secret-0123456789abcdef".utf8)

func makeAPI(_ env: [String: String] = [:]) throws -> GatewayAPI {
    var values = ["PASSCODE_API_KEYS": "all-key-123456,send-key-12345=verification-codes:send,verify-key-1234=verification-codes:verify"]
    values.merge(env, uniquingKeysWith: { _, new in new })
    let config = try GatewayConfig.load(Environment(values))
    return GatewayAPI(config: config, secrets: [secret], logger: Logger(service: "gateway-test", sink: DiscardSink()))
}

let unreachable = Backends(verifier: UnreachableBackend(), connector: UnreachableBackend())

func errorCode(_ response: GatewayResponse) -> String? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else { return nil }
    return object["code"] as? String
}

func details(_ response: GatewayResponse) -> String? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else { return nil }
    return object["details"] as? String
}

func post(_ path: String, _ body: String, auth: String? = nil, cookie: String? = nil) -> GatewayRequest {
    var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
    if let auth { headers.append(("Authorization", auth)) }
    if let cookie { headers.append(("Cookie", cookie)) }
    return GatewayRequest(method: "POST", path: path, headers: headers, body: Array(body.utf8))
}

func makeJWT(_ claims: [String: Any], secret: String, alg: String = "HS256") -> String {
    let header = Base64URL.encode(Array(try! JSONSerialization.data(withJSONObject: ["alg": alg, "typ": "JWT"])))
    let payload = Base64URL.encode(Array(try! JSONSerialization.data(withJSONObject: claims)))
    let signature = HMAC.sha256(key: Array(secret.utf8), message: Array("\(header).\(payload)".utf8))
    return "\(header).\(payload).\(Base64URL.encode(signature))"
}
