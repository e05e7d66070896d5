import Contracts
import SocketCore

/// The envelope written and read by hand for types that are `JSONValueConvertible` (the hot
/// methods): same JSON as the `Codable` path, in the field order `FrameHead` scans, without the
/// generic `Codable` machinery that dominated the profile (bench/profile.md, finding 1).
enum FastEnvelope {
    /// `{"v":1,"id":N,"method":"…","deadline_ms":N,"rid":"…","params":{…}}`, or nil for a type
    /// without a hand-written form.
    static func request(id: UInt64, method: String, deadlineMs: Int?, rid: String?, params: some Sendable) -> [UInt8]? {
        guard let convertible = params as? any JSONValueConvertible else { return nil }
        var out = head(id: id, #","method":"#)
        JSONValue.serializeString(method, into: &out)
        if let deadlineMs {
            out.append(contentsOf: #","deadline_ms":"#.utf8)
            out.appendDecimal(deadlineMs)
        }
        if let rid {
            out.append(contentsOf: #","rid":"#.utf8)
            JSONValue.serializeString(rid, into: &out)
        }
        out.append(contentsOf: #","params":"#.utf8)
        convertible.writeJSON(into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"v":1,"id":N,"result":{…}}`, or nil for a type without a hand-written form.
    static func result(id: UInt64, _ result: some Sendable) -> [UInt8]? {
        guard let convertible = result as? any JSONValueConvertible else { return nil }
        var out = head(id: id, #","result":"#)
        convertible.writeJSON(into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"v":1,"id":N,"error":{…}}`.
    static func error(id: UInt64, _ error: ServiceError) -> [UInt8] {
        var out = head(id: id, #","error":"#)
        error.writeJSON(into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"v":1,"id":N` and the next key, the start every envelope shares.
    private static func head(id: UInt64, _ nextKey: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: #"{"v":1,"id":"#.utf8)
        out.appendDecimal(id)
        out.append(contentsOf: nextKey.utf8)
        return out
    }

    /// A request decoded by hand: nil when the params type has no hand-written form or anything
    /// does not match exactly (the caller then decodes with `JSONDecoder`).
    static func decodeRequest<Params>(_ frame: [UInt8], as type: Params.Type,
                                      scanner: (any CanonicalJSONScannable.Type)? = scanner(for: Params.self))
        -> (params: Params, rid: String?, deadlineMs: Int?)? {
        if let scanned = scanRequest(frame, as: type, scanner: scanner) { return scanned }
        guard let convertible = Params.self as? any JSONValueConvertible.Type,
              let envelope = JSONValue.parse(frame), let rawParams = envelope["params"],
              let params = convertible.init(jsonValue: rawParams) as? Params else { return nil }
        let rid = envelope["rid"]?.stringValue
        let deadline = envelope["deadline_ms"]?.doubleValue.flatMap { $0 == $0.rounded() && abs($0) < 9e15 ? Int($0) : nil }
        return (params, rid, deadline)
    }

    enum Reply<Result> {
        case result(Result)
        case error(ServiceError)
    }

    /// A reply decoded by hand, or nil (fall back to `JSONDecoder`).
    static func decodeReply<Result>(_ frame: [UInt8], as type: Result.Type) -> Reply<Result>? {
        if let error = plainError(frame) { return .error(error) }
        if let result = scanResult(frame, as: type) { return .result(result) }
        guard let envelope = JSONValue.parse(frame) else { return nil }
        if let rawError = envelope["error"], !rawError.isNull {
            return ServiceError(jsonValue: rawError).map(Reply.error)
        }
        guard let convertible = Result.self as? any JSONValueConvertible.Type, let rawResult = envelope["result"],
              let result = convertible.init(jsonValue: rawResult) as? Result else { return nil }
        return .result(result)
    }

    /// An error reply with only the catalogue's fields, as `error(id:_:)` writes it:
    /// `{"v":1,"id":N,"error":{"code":"…","message":"…","status":N}}`, both strings printable ASCII
    /// without escapes. Read without building a tree (every wrong guess answers one); anything
    /// else, including `data` or `details`, is nil and takes the general path.
    static func plainError(_ frame: [UInt8]) -> ServiceError? {
        frame.withUnsafeBufferPointer { bytes -> ServiceError? in
            var s = CanonicalJSONScanner(bytes)
            guard s.literal(#"{"v":1,"id":"#), s.unsigned() != nil, s.literal(#","error":{"code":""#),
                  let code = s.plainString(), s.literal(#","message":""#), let message = s.plainString(),
                  s.literal(#","status":"#), let status = s.unsigned(), s.literal("}}"), s.atEnd else { return nil }
            return ServiceError(code: code, message: message, status: status)
        }
    }

    /// A request as `request(id:method:deadlineMs:rid:params:)` writes it, for params that can be
    /// scanned back (`CanonicalJSONScannable`), read without building a tree; nil for anything
    /// else, which `decodeRequest` then parses the general way.
    /// `scanner` is `scanner(for: Params.self)`, which a caller decoding many frames of one type
    /// looks up once.
    static func scanRequest<Params>(_ frame: [UInt8], as type: Params.Type,
                                    scanner: (any CanonicalJSONScannable.Type)? = scanner(for: Params.self))
        -> (params: Params, rid: String?, deadlineMs: Int?)? {
        guard let scannable = scanner else { return nil }
        return frame.withUnsafeBufferPointer { bytes in
            var s = CanonicalJSONScanner(bytes)
            guard s.literal(#"{"v":1,"id":"#), s.unsigned() != nil, s.literal(#","method":""#), s.plainString() != nil else { return nil }
            var deadlineMs: Int?
            if s.literal(#","deadline_ms":"#) {
                guard let value = s.unsigned() else { return nil }
                deadlineMs = value
            }
            var rid: String?
            if s.literal(#","rid":""#) {
                guard let value = s.plainString() else { return nil }
                rid = value
            }
            guard s.literal(#","params":"#), let params = scannable.init(scanning: &s) as? Params, s.literal("}"), s.atEnd else {
                return nil
            }
            return (params, rid, deadlineMs)
        }
    }

    /// The scanner of `type`, if its direct writer's output can be scanned back.
    static func scanner<T>(for type: T.Type) -> (any CanonicalJSONScannable.Type)? {
        type as? any CanonicalJSONScannable.Type
    }

    /// A result reply as `result(id:_:)` writes it, for result types that can be scanned back;
    /// nil for anything else (then the tree).
    static func scanResult<Result>(_ frame: [UInt8], as type: Result.Type) -> Result? {
        guard let scannable = scanner(for: Result.self) else { return nil }
        return frame.withUnsafeBufferPointer { bytes in
            var s = CanonicalJSONScanner(bytes)
            guard s.literal(#"{"v":1,"id":"#), s.unsigned() != nil, s.literal(#","result":"#),
                  let result = scannable.init(scanning: &s) as? Result, s.literal("}"), s.atEnd else { return nil }
            return result
        }
    }
}
