/// Our own message ids, for providers that do not name messages: 128 random bits in hex.
enum MessageID {
    static func make(prefix: String = "msg_") -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        var out = Array(prefix.utf8)
        out.reserveCapacity(out.count + 32)
        appendHex(high, to: &out)
        appendHex(low, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The 16 lowercase hex digits of `value`, most significant first.
    private static func appendHex(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 60, through: 0, by: -4) {
            out.append(hexDigits[Int((value >> UInt64(shift)) & 0xF)])
        }
    }
}
