// libFuzzer target: the Cookie header parsers (Shared/HTTPCore/Cookies.swift, and the one the
// gateway uses, GatewayRequest.cookie in Services/Gateway/Sources/GatewayMessage.swift) and the
// signed `_interaction` cookie check (Services/Gateway/Sources/InteractionCookie.swift); the
// gateway files are compiled with this one. Invariants: the pair cap holds, names are never empty, and a cookie is accepted only if
// it carries a valid signature for a live expiry — re-signing what was accepted must verify.
import CryptoCore
import HTTPCore

let fuzzSecret = Array("fuzz-secret-0123456789abcdef".utf8)
let fuzzCookie = InteractionCookie(secrets: [fuzzSecret, Array("fuzz-old-secret-0123456789".utf8)], secure: false, maxAge: 3600)
/// A fixed "now" so seeds stay meaningful: expiry 2000000000 is in the future, 1000000000 in the past.
let fuzzNow = 1_500_000_000.0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCookieHeader(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let cookies = Cookies(parsing: text)
    guard cookies.pairs.count <= Cookies.maxCount else { fatalError("more than maxCount pairs") }
    for pair in cookies.pairs where pair.name.isEmpty { fatalError("a pair with an empty name") }

    let gateway = GatewayRequest(method: "GET", path: "/", headers: [(name: "Cookie", value: text)])
    for value in [cookies[InteractionCookie.name], gateway.cookie(InteractionCookie.name), text].compactMap({ $0 }) {
        guard let id = fuzzCookie.interactionId(from: value, now: fuzzNow) else { continue }
        // Accepted: the id is ours in shape and the parts re-sign to a value that is accepted too.
        guard !id.isEmpty, id.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) }) else {
            fatalError("accepted an id of the wrong shape")
        }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let expiresAt = Int(parts[1]), Double(expiresAt) > fuzzNow else { fatalError("accepted an expired cookie") }
        let resigned = fuzzCookie.value(for: id, expiresAt: expiresAt)
        guard fuzzCookie.interactionId(from: resigned, now: fuzzNow) == id else { fatalError("re-signed cookie refused") }
    }
    return 0
}
