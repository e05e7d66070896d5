import Contracts
import Foundation
@testable import GatewayService
import Testing

@Suite struct InteractionCookieTests {
    let cookie = InteractionCookie(secrets: [secret], secure: false, maxAge: 3600)
    let now = Date().timeIntervalSince1970

    @Test func signedCookieRoundTrips() {
        let value = cookie.value(for: "abc123", expiresAt: Int(now) + 100)
        #expect(cookie.interactionId(from: value, now: now) == "abc123")
    }

    @Test func tamperedUnsignedOrExpiredCookieIsRejected() {
        let value = cookie.value(for: "abc123", expiresAt: Int(now) + 100)
        let parts = value.split(separator: ".").map(String.init)
        #expect(cookie.interactionId(from: "abc124.\(parts[1]).\(parts[2])", now: now) == nil)
        #expect(cookie.interactionId(from: "abc123.\(Int(now) + 9999).\(parts[2])", now: now) == nil)
        #expect(cookie.interactionId(from: "abc123", now: now) == nil)
        #expect(cookie.interactionId(from: value, now: now + 101) == nil)
    }

    @Test func rotatedSecretStillAcceptsCookiesSignedWithTheOldOne() {
        let old = cookie.value(for: "abc123", expiresAt: Int(now) + 100)
        let rotated = InteractionCookie(secrets: [Array("new-secret-0123456789".utf8), secret], secure: false, maxAge: 3600)
        #expect(rotated.interactionId(from: old, now: now) == "abc123")
    }

    @Test func setCookieHasTheSpecAttributes() {
        let header = cookie.setCookieHeader(for: InteractionHandle(interactionId: "abc", expiresAt: now + 3600), now: now)
        #expect(header.hasPrefix("_interaction=abc."))
        for attribute in ["Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=3600"] { #expect(header.contains(attribute)) }
        #expect(!header.contains("Secure"))
        let secure = InteractionCookie(secrets: [secret], secure: true, maxAge: 3600)
        #expect(secure.setCookieHeader(for: InteractionHandle(interactionId: "abc", expiresAt: now + 3600)).contains("; Secure"))
    }

    @Test func forgedCookieOnExperienceRouteIsSessionNotFound() async throws {
        let api = try makeAPI()
        let r = await api.handle(post("/api/experience/verification/verification-code/verify", "{}",
                                      cookie: "_interaction=abc.99999999999.AAAA"), backends: unreachable)
        #expect(errorCode(r) == "session.not_found")
    }
}

@Suite struct ClientAddressTests {
    @Test func untrustedPeerIsTheClientWhateverXFFSays() {
        let resolver = ClientAddressResolver(trusted: [CIDR("10.0.0.0/8")!])
        #expect(resolver.clientIP(peer: "203.0.113.9", forwardedFor: ["1.2.3.4"]) == "203.0.113.9")
    }

    @Test func trustedPeerYieldsRightMostUntrustedHop() {
        let resolver = ClientAddressResolver(trusted: [CIDR("10.0.0.0/8")!, CIDR("::1")!])
        #expect(resolver.clientIP(peer: "10.1.2.3", forwardedFor: ["6.6.6.6, 198.51.100.7, 10.9.9.9"]) == "198.51.100.7")
        #expect(resolver.clientIP(peer: "::1", forwardedFor: ["198.51.100.8"]) == "198.51.100.8")
        #expect(resolver.clientIP(peer: "10.1.2.3", forwardedFor: []) == "10.1.2.3")
        #expect(resolver.clientIP(peer: "10.1.2.3", forwardedFor: ["garbage"]) == "10.1.2.3")
    }

    @Test func cidrMatchingIPv4AndIPv6() {
        #expect(CIDR("192.168.0.0/16")!.contains(CIDR.parseAddress("192.168.4.5")!))
        #expect(!CIDR("192.168.0.0/16")!.contains(CIDR.parseAddress("192.169.0.1")!))
        #expect(CIDR("2001:db8::/32")!.contains(CIDR.parseAddress("2001:db8::1")!))
        #expect(CIDR("127.0.0.0/8")!.contains(CIDR.parseAddress("::ffff:127.0.0.1")!))
        #expect(CIDR("300.0.0.0/8") == nil)
        #expect(CIDR("10.0.0.0/33") == nil)
    }
}
