import ConfigCore
import Contracts
import Foundation
@testable import GatewayService
import Testing

@Suite struct ManagementAuthTests {
    let api = try! makeAPI(["PASSCODE_JWT_SECRET": "jwt-secret-0123456789", "PASSCODE_JWT_AUDIENCE": "https://passcode.test"])
    let sendBody = #"{"email":"a@b.co"}"#

    @Test func missingAuthorizationHeaderIs401Missing() async {
        let r = await api.handle(post("/api/verification-codes", sendBody), backends: unreachable)
        #expect(r.status == 401)
        #expect(errorCode(r) == "auth.authorization_header_missing")
    }

    @Test(arguments: ["Bearer wrong-key-123", "Basic YWJjOmRlZg==", "Bearer", "all-key-123456", "Bearer a.b.c"])
    func unknownOrMalformedTokenIs401(_ header: String) async {
        let r = await api.handle(post("/api/verification-codes", sendBody, auth: header), backends: unreachable)
        #expect(r.status == 401)
        #expect(errorCode(r) == "auth.unauthorized")
    }

    @Test func keyWithoutScopeIs403() async {
        let r = await api.handle(post("/api/verification-codes", sendBody, auth: "Bearer verify-key-1234"), backends: unreachable)
        #expect(r.status == 403)
        #expect(errorCode(r) == "auth.forbidden")
        let v = await api.handle(post("/api/verification-codes/verify", #"{"email":"a@b.co","verificationCode":"1"}"#,
                                      auth: "Bearer send-key-12345"), backends: unreachable)
        #expect(v.status == 403)
    }

    @Test func scopedKeyPassesAuthAndReachesBodyValidation() async {
        // A scoped key on its own route gets past auth: the empty body is the next check (400).
        let r = await api.handle(post("/api/verification-codes", "", auth: "Bearer send-key-12345"), backends: unreachable)
        #expect(r.status == 400)
        #expect(errorCode(r) == "guard.invalid_input")
    }

    @Test func validJWTWithScopePassesAuth() async {
        let now = Date().timeIntervalSince1970
        let token = makeJWT(["exp": now + 60, "aud": "https://passcode.test", "scope": "verification-codes:send"],
                            secret: "jwt-secret-0123456789")
        let r = await api.handle(post("/api/verification-codes", "{}", auth: "Bearer \(token)"), backends: unreachable)
        #expect(r.status == 400)  // past auth, stopped by body validation
    }

    @Test func expiredNotYetValidWrongAudienceForgedOrNoneAlgJWTIs401() async {
        let now = Date().timeIntervalSince1970
        let tokens = [
            makeJWT(["exp": now - 120, "aud": "https://passcode.test", "scope": "all"], secret: "jwt-secret-0123456789"),
            makeJWT(["nbf": now + 120, "aud": "https://passcode.test", "scope": "all"], secret: "jwt-secret-0123456789"),
            makeJWT(["exp": now + 60, "aud": "other", "scope": "all"], secret: "jwt-secret-0123456789"),
            makeJWT(["exp": now + 60, "aud": "https://passcode.test", "scope": "all"], secret: "another-secret-0123456"),
            makeJWT(["exp": now + 60, "aud": "https://passcode.test", "scope": "all"], secret: "jwt-secret-0123456789", alg: "none"),
        ]
        for token in tokens {
            let r = await api.handle(post("/api/verification-codes", "{}", auth: "Bearer \(token)"), backends: unreachable)
            #expect(r.status == 401, "token accepted: \(token)")
        }
    }

    @Test func jwtWithoutNeededScopeIs403() async {
        let token = makeJWT(["exp": Date().timeIntervalSince1970 + 60, "aud": "https://passcode.test", "scope": "verification-codes:verify"],
                            secret: "jwt-secret-0123456789")
        let r = await api.handle(post("/api/verification-codes", "{}", auth: "Bearer \(token)"), backends: unreachable)
        #expect(r.status == 403)
    }

    @Test(arguments: ["short", "has space key", "key=unknown-scope"])
    func badAPIKeyConfigurationIsRejected(_ keys: String) {
        #expect(throws: ConfigError.self) { try GatewayConfig.load(Environment(["PASSCODE_API_KEYS": keys])) }
    }

    /// The token is cut out of the header's bytes: scheme in any case, spaces and tabs around the
    /// token trimmed, anything else refused.
    @Test func bearerTokenIsReadFromTheHeader() {
        let cases: [(String, String?)] = [
            ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER abc", "abc"), ("bEaReR abc", "abc"),
            ("Bearer   abc \t ", "abc"), ("Bearer \tabc", "abc"), ("Bearer a b", "a b"), ("Bearer ключ-é", "ключ-é"),
            ("Bearer", nil), ("Bearer ", nil), ("Bearer    ", nil), ("Bearerabc", nil), ("Bearer\tabc", nil),
            ("Basic abc", nil), ("Bearex abc", nil), ("", nil), ("B", nil), (" Bearer abc", nil),
            ("Bearer " + String(repeating: "k", count: ManagementAuthenticator.maxTokenBytes),
             String(repeating: "k", count: ManagementAuthenticator.maxTokenBytes)),
            ("Bearer " + String(repeating: "k", count: ManagementAuthenticator.maxTokenBytes + 1), nil),
        ]
        for (header, token) in cases {
            #expect(ManagementAuthenticator.bearerToken(header) == token, "\(header.debugDescription)")
        }
        // A header string that is a slice of a larger one (not starting at its own storage) reads the same.
        let long = "xxBearer sliced"
        #expect(ManagementAuthenticator.bearerToken(String(long.dropFirst(2))) == "sliced")
    }
}
