/// Comparisons whose duration does not depend on where two secrets first differ.
public enum ConstantTime {
    /// True when `a` and `b` are equal. Compares every byte the two have in common, without
    /// stopping at the first difference; only the lengths (which are public: MACs have a fixed
    /// size) influence the time taken, and unequal lengths compare unequal.
    ///
    /// Eight bytes at a time through unsafe buffers: the byte-indexed loop it replaces spent about
    /// 490 instructions on two 32-byte MACs (bounds checks and a branch per byte), once per request
    /// in the gateway (the API key) and once per verify in the verifier (issue 7, callgrind).
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in equals(x, y) } }
    }

    static func equals(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Bool {
        var difference: UInt64 = x.count == y.count ? 0 : 1
        let common = min(x.count, y.count)
        var i = 0
        while i + 8 <= common {
            difference |= x.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ y.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < common {
            difference |= UInt64(x[i] ^ y[i])
            i += 1
        }
        return difference == 0
    }
}
