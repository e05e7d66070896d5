/// Comparisons whose duration does not depend on where two secrets first differ.
public enum ConstantTime {
    /// True when `a` and `b` are equal. Runs over every byte of the longer input; only the lengths
    /// (which are public: MACs have a fixed size) influence the time taken.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference: UInt8 = a.count == b.count ? 0 : 1
        let length = max(a.count, b.count)
        for i in 0..<length {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
