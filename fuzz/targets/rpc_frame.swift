// libFuzzer target: the RPC frame decoder (Shared/RPCCore/FrameDecoder.swift), the routing-field
// scanner (FrameHead) and the envelope/params decoding every frame goes through.
// Compiled together with those files, so internal types are visible.
import Contracts
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRPCFrame(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Small frames keep the fuzzer fast; the limit logic is the same at any size.
    let limit = 4096

    // Whole, and split at an input-chosen point: both must yield the same frames (a resumable
    // decoder never loses or invents bytes at a chunk boundary).
    var whole = FrameDecoder(maxFrameLength: limit)
    let wholeResult = Result { () throws(FrameDecoder.Failure) in try whole.feed(bytes) }
    var split = FrameDecoder(maxFrameLength: limit)
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    let splitResult = Result { () throws(FrameDecoder.Failure) -> [[UInt8]] in
        try split.feed(Array(bytes[..<cut])) + split.feed(Array(bytes[cut...]))
    }
    switch (wholeResult, splitResult) {
    case (.success(let a), .success(let b)):
        guard a == b else { fatalError("split decoding changed the frames") }
    case (.failure(let a), .failure(let b)):
        guard a == b else { fatalError("split decoding changed the failure") }
        return 0
    default:
        fatalError("whole and split decoding disagree on whether the stream is valid")
    }
    guard case .success(let frames) = wholeResult else { return 0 }
    for frame in frames {
        guard frame.count >= 1, frame.count <= limit else { fatalError("frame of \(frame.count) bytes passed the limit") }
        inspect(frame)
    }
    // The frame decoder must also survive every frame body as a raw stream.
    var raw = FrameDecoder(maxFrameLength: limit)
    _ = try? raw.feed(Array(bytes.dropFirst(min(4, bytes.count))))
    return 0
}

/// What the server and client do with a frame before a handler sees it.
func inspect(_ frame: [UInt8]) {
    if let scanned = FrameHead.request(in: frame) {
        // The fast path must agree with a full decode whenever both succeed on a frame in our own
        // shape (no duplicate keys, which JSON leaves undefined: RFC 8259 §4).
        if let head = try? FrameBytes.withData(frame, { try JSONDecoder().decode(RPCRequestHead.self, from: $0) }),
           !hasDuplicateTopLevelKeys(frame), head.id != scanned.id {
            fatalError("FrameHead read id \(scanned.id), JSONDecoder \(head.id)")
        }
    }
    _ = FrameHead.id(in: frame)
    let decoder = JSONDecoder()
    _ = try? FrameBytes.withData(frame) { try decoder.decode(RPCRequestHead.self, from: $0) }
    _ = try? FrameBytes.withData(frame) { try decoder.decode(RPCReplyHead.self, from: $0) }
    _ = try? FrameBytes.withData(frame) { try decoder.decode(RPCParamsBox<Verifier.CodeVerify.Params>.self, from: $0) }
    _ = try? FrameBytes.withData(frame) { try decoder.decode(RPCParamsBox<Verifier.CodeIssue.Params>.self, from: $0) }
    _ = try? FrameBytes.withData(frame) { try decoder.decode(RPCParamsBox<Connector.Deliver.Params>.self, from: $0) }
    _ = try? FrameBytes.withData(frame) { try decoder.decode(RPCResultBox<Verifier.CodeIssue.Result>.self, from: $0) }
}

/// Whether the frame's top-level object names a key twice (a rough scan; false when unsure).
func hasDuplicateTopLevelKeys(_ frame: [UInt8]) -> Bool {
    guard let object = try? JSONSerialization.jsonObject(with: Data(frame)) as? [String: Any] else { return true }
    // JSONSerialization keeps one value per key; count the keys the text names at depth 1.
    var depth = 0
    var inString = false
    var escaped = false
    var keys = 0
    var expectingKey = false
    for byte in frame {
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            continue
        }
        switch byte {
        case UInt8(ascii: "\""):
            inString = true
            if depth == 1 && expectingKey { keys += 1; expectingKey = false }
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            depth += 1
            if depth == 1 { expectingKey = true }
        case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
        case UInt8(ascii: ","): if depth == 1 { expectingKey = true }
        default: break
        }
    }
    return keys != object.count
}
