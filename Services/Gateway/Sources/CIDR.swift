import ConfigCore
import Glibc

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `::1/128`, or a bare address = a single host).
public struct CIDR: Sendable, Equatable {
    let network: [UInt8]
    let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let address = CIDR.parseAddress(first) else { return nil }
        let bits = address.count * 8
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...bits).contains(p) else { return nil }
            prefix = p
        } else {
            prefix = bits
        }
        network = address
    }

    func contains(_ address: [UInt8]) -> Bool {
        let candidate = address.count == network.count ? address : CIDR.unmapV4(address, to: network.count)
        guard let candidate, candidate.count == network.count else { return false }
        var remaining = prefix
        for i in 0..<network.count where remaining > 0 {
            let take = min(8, remaining)
            let mask: UInt8 = take == 8 ? 0xFF : ~(0xFF >> UInt8(take))
            if candidate[i] & mask != network[i] & mask { return false }
            remaining -= take
        }
        return true
    }

    /// `::ffff:a.b.c.d` compared against an IPv4 network.
    private static func unmapV4(_ address: [UInt8], to count: Int) -> [UInt8]? {
        guard count == 4, address.count == 16, address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xFF, address[11] == 0xFF
        else { return nil }
        return Array(address[12..<16])
    }

    /// Parses a textual IPv4 or IPv6 address to its bytes.
    static func parseAddress(_ text: String) -> [UInt8]? {
        var trimmed = text
        if trimmed.hasPrefix("["), trimmed.hasSuffix("]") { trimmed = String(trimmed.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, trimmed, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, trimmed, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

/// Finds the client's IP: the socket peer, unless the peer is a trusted proxy; then the right-most
/// `X-Forwarded-For` hop that is not itself trusted (the left part is client-controlled).
struct ClientAddressResolver: Sendable {
    let trusted: [CIDR]

    func clientIP(peer: String, forwardedFor: [String]) -> String {
        guard !trusted.isEmpty, isTrusted(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingWhitespace() }
        for hop in hops.reversed() {
            guard CIDR.parseAddress(hop) != nil else { return peer }
            if !isTrusted(hop) { return hop }
        }
        return hops.first ?? peer
    }

    private func isTrusted(_ address: String) -> Bool {
        guard let bytes = CIDR.parseAddress(address) else { return false }
        return trusted.contains { $0.contains(bytes) }
    }
}
