import Contracts

/// Splits a byte stream into frames: a 4-byte big-endian length N (1 ≤ N ≤ `maxFrameLength`) and
/// N bytes of body. A pure, resumable state machine: feed it chunks split anywhere, it yields each
/// complete body once. The length is checked before any body storage is allocated; a bad length is
/// fatal for the stream (every later `feed` throws again).
public struct FrameDecoder: Sendable {
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case badLength(Int)

        public var description: String {
            switch self {
            case .badLength(let length): "frame length \(length) is outside 1...\(RPCProtocol.maxFrameLength)"
            }
        }
    }

    public let maxFrameLength: Int
    private var header: UInt32 = 0
    private var headerBytes = 0
    private var expected = 0  // > 0 while a body is being collected
    private var body: [UInt8] = []
    private var failure: Failure?

    public init(maxFrameLength: Int = RPCProtocol.maxFrameLength) {
        self.maxFrameLength = maxFrameLength
    }

    /// True between frames: nothing partial is buffered.
    public var isIdle: Bool { headerBytes == 0 && expected == 0 }

    /// Consumes `bytes`, calling `onFrame` with each complete body in order. `onFrame` returns false
    /// to stop early (the rest of the chunk is dropped: the caller is closing the stream).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ onFrame: ([UInt8]) -> Bool) throws(Failure) {
        if let failure { throw failure }
        var index = 0
        let count = bytes.count
        while index < count {
            if expected == 0 {
                while headerBytes < 4, index < count {
                    header = header << 8 | UInt32(bytes[index])
                    headerBytes += 1
                    index += 1
                }
                guard headerBytes == 4 else { return }
                let length = Int(header)
                header = 0
                headerBytes = 0
                guard length >= 1, length <= maxFrameLength else {
                    failure = .badLength(length)
                    throw .badLength(length)
                }
                if count - index >= length {
                    // The whole body is in this chunk: one copy, no intermediate buffer.
                    let frame = Array(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + length)]))
                    index += length
                    if !onFrame(frame) { return }
                    continue
                }
                expected = length
                body.reserveCapacity(length)
            }
            let take = min(expected - body.count, count - index)
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)]))
            index += take
            if body.count == expected {
                let frame = body
                body = []
                expected = 0
                if !onFrame(frame) { return }
            }
        }
    }

    /// Convenience for tests and small inputs: the frames completed by `bytes`.
    public mutating func feed(_ bytes: [UInt8]) throws(Failure) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(Failure) in
                try feed(raw) { frame in
                    frames.append(frame)
                    return true
                }
            }
        }
        try result.get()
        return frames
    }
}
