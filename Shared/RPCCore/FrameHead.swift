/// Reads the routing fields of a frame without a full JSON parse when the frame starts the way our
/// encoder writes it (`{"v":1,"id":7,` and for requests `"method":"name"` next). Anything else
/// returns nil and the caller falls back to JSONDecoder, so foreign but valid JSON still works.
enum FrameHead {
    private static let prefix = Array(#"{"v":1,"id":"#.utf8)
    private static let methodKey = Array(#""method":""#.utf8)

    /// The id, and the index just after it.
    static func id(in frame: [UInt8]) -> (id: UInt64, end: Int)? {
        guard frame.count > prefix.count + 1 else { return nil }
        for index in 0..<prefix.count where frame[index] != prefix[index] { return nil }
        var index = prefix.count
        var value: UInt64 = 0
        var digits = 0
        while index < frame.count, frame[index] >= 0x30, frame[index] <= 0x39 {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(frame[index] - 0x30))
            if overflow1 || overflow2 { return nil }
            value = sum
            digits += 1
            index += 1
        }
        guard digits > 0, digits <= 20, index < frame.count, frame[index] == UInt8(ascii: ",") || frame[index] == UInt8(ascii: "}") else {
            return nil
        }
        return (value, index)
    }

    /// The id and the method name of a request frame.
    static func request(in frame: [UInt8]) -> (id: UInt64, method: String)? {
        guard let (id, end) = id(in: frame), frame[end] == UInt8(ascii: ",") else { return nil }
        var index = end + 1
        guard frame.count > index + methodKey.count else { return nil }
        for offset in 0..<methodKey.count where frame[index + offset] != methodKey[offset] { return nil }
        index += methodKey.count
        let start = index
        while index < frame.count {
            let byte = frame[index]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }  // escaped names: slow path
            index += 1
        }
        guard index < frame.count else { return nil }
        return (id, String(decoding: frame[start..<index], as: UTF8.self))
    }
}
