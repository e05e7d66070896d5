import Contracts
import Foundation
@testable import GatewayService
import TestSupport
import Testing

/// Replays the committed libFuzzer seeds of `fuzz/corpus/json_body` and `fuzz/corpus/cookie`
/// through the same checks as the fuzz targets, in every test run.
@Suite struct FuzzCorpusTests {
    @Test func bodySeedsAreAcceptedOnlyWhenValidAndErrorsNeverRepeatTheCode() {
        let seeds = FuzzCorpus.seeds("json_body")
        #expect(seeds.count >= 10)
        var accepted = 0
        for seed in seeds {
            guard let body = try? JSONBody(seed.bytes) else { continue }
            let code = body.value("verificationCode")?.stringValue ?? body.value("code")?.stringValue
            // Each validation either accepts or throws the catalogue's guard.invalid_input.
            func attempt(_ body: () throws -> Void) {
                do {
                    try body()
                    accepted += 1
                } catch {
                    let serviceError = error as? ServiceError
                    #expect(serviceError?.code == "guard.invalid_input", "\(seed.name)")
                    let details = serviceError?.details ?? ""
                    if let code, code.count >= 4 { #expect(details.contains(code) == false, "\(seed.name)") }
                }
            }
            attempt { _ = try body.managementIdentifier() }
            attempt { _ = try ManagementVerifyBody(body) }
            attempt { _ = try ExperienceSendBody(body) }
            attempt { _ = try ExperienceVerifyBody(body) }
            if let identifier = try? body.managementIdentifier() { #expect(IdentifierRules.isValid(identifier)) }
        }
        #expect(accepted > 0)
    }

    @Test func cookieSeedsAreAcceptedOnlyWithAValidSignatureAndALiveExpiry() {
        let cookie = InteractionCookie(secrets: [Array("fuzz-secret-0123456789abcdef".utf8), Array("fuzz-old-secret-0123456789".utf8)],
                                       secure: false, maxAge: 3600)
        let now = 1_500_000_000.0
        var accepted: [String: String] = [:]
        for seed in FuzzCorpus.seeds("cookie") {
            let header = String(decoding: seed.bytes, as: UTF8.self)
            if let value = HTTPCookieValues.interaction(in: header), let id = cookie.interactionId(from: value, now: now) {
                accepted[seed.name] = id
            }
        }
        // The seeds hold two valid cookies (current and previous secret), one expired, and junk.
        #expect(accepted == ["valid": "abc123", "valid_old_key": "zz9", "quoted": "q1"])
        // The same cookie a moment after its expiry is refused.
        #expect(cookie.interactionId(from: cookie.value(for: "abc123", expiresAt: 2_000_000_000), now: 2_000_000_000) == nil)
    }
}

/// The `_interaction` value of a Cookie header, as the gateway reads it (HTTPCore's parser).
enum HTTPCookieValues {
    static func interaction(in header: String) -> String? {
        GatewayRequest(method: "GET", path: "/", headers: [(name: "Cookie", value: header)]).cookie(InteractionCookie.name)
    }
}
