#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Lets JSONDecoder read a frame's bytes in place, without copying them into a `Data`.
enum FrameBytes {
    static func withData<R>(_ bytes: [UInt8], _ body: (Data) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return try body(Data()) }
            return try body(Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: raw.count, deallocator: .none))
        }
    }
}
