extension Array where Element == UInt8 {
    /// Appends `value` in decimal ASCII, as `String(value)` spells it, without making the string
    /// (issue 7: a wrong guess wrote an RPC frame's id and deadline through `description` and a
    /// `String`). HTTPCore, which fuzz/run builds without SocketCore, writes its status codes itself.
    /// Concrete overloads, not one generic function: called from other modules, a generic one runs
    /// unspecialised, through `BinaryInteger`'s witness table, and cost more than the string did.
    public mutating func appendDecimal(_ value: Int) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            appendDigits(UInt64(0) &- UInt64(UInt(bitPattern: value))) // Int.min's magnitude fits UInt64
        } else {
            appendDigits(UInt64(value))
        }
    }

    public mutating func appendDecimal(_ value: UInt64) {
        appendDigits(value)
    }

    private mutating func appendDigits(_ value: UInt64) {
        var digits = 1
        var probe = value
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        let start = count
        append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        withUnsafeMutableBufferPointer { buffer in
            var remaining = value
            var index = start + digits - 1
            while remaining != 0 {
                let (quotient, digit) = remaining.quotientAndRemainder(dividingBy: 10)
                buffer[index] = UInt8(truncatingIfNeeded: digit) &+ UInt8(ascii: "0")
                remaining = quotient
                index -= 1
            }
        }
    }
}
