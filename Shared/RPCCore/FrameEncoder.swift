import Contracts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Builds frames: the 4-byte big-endian length, then the body.
public enum FrameEncoder {
    public struct TooLarge: Error, Sendable {
        public var length: Int
    }

    /// Frames `body`; throws when it is empty or above `RPCProtocol.maxFrameLength`.
    public static func frame(_ body: some Collection<UInt8>) throws(TooLarge) -> [UInt8] {
        let length = body.count
        guard length >= 1, length <= RPCProtocol.maxFrameLength else { throw TooLarge(length: length) }
        var out: [UInt8] = []
        out.reserveCapacity(4 + length)
        out.append(UInt8(truncatingIfNeeded: length >> 24))
        out.append(UInt8(truncatingIfNeeded: length >> 16))
        out.append(UInt8(truncatingIfNeeded: length >> 8))
        out.append(UInt8(truncatingIfNeeded: length))
        out.append(contentsOf: body)
        return out
    }

    /// JSON-encodes `value` and frames it.
    public static func encode(_ value: some Encodable, with encoder: JSONEncoder) throws -> [UInt8] {
        try frame(try encoder.encode(value))
    }
}
