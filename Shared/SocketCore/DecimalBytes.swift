extension Array where Element == UInt8 {
    /// Appends `value` in decimal ASCII, as `String(value)` spells it, without making the string
    /// (issue 7: a wrong guess wrote five integers this way in the gateway — a frame's id and
    /// deadline, a status code and a Content-Length — each through `description` and a `String`).
    public mutating func appendDecimal(_ value: some BinaryInteger) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            // The magnitude of the most negative value does not fit its own type: spell it in UInt64.
            appendDigits(UInt64(0) &- UInt64(truncatingIfNeeded: Int64(value)))
        } else {
            appendDigits(UInt64(value))
        }
    }

    private mutating func appendDigits(_ value: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes: room for UInt64.max's 20 digits
        var remaining = value
        var count = 0
        Swift.withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                let (quotient, digit) = remaining.quotientAndRemainder(dividingBy: 10)
                count += 1
                buffer[24 - count] = UInt8(truncatingIfNeeded: digit) &+ UInt8(ascii: "0")
                remaining = quotient
            } while remaining != 0
            append(contentsOf: buffer[(24 - count)...])
        }
    }
}
