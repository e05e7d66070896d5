import Contracts
import Foundation
import Testing

@testable import RPCCore

/// The hand-written JSON path must be indistinguishable from the `Codable` one, and the parser
/// must be strict: whatever it refuses goes to `JSONDecoder`, never to a wrong value.
@Suite struct FastEnvelopeTests {
    static let tricky = ["plain", "", "quote \" backslash \\ slash /", "ctl \u{01}\u{1F}\n\r\t", "üñí©ødé 😀", "\u{2028}\u{2029}"]

    @Test(arguments: [
        "{}", "[]", "0", "-0", "1.5e3", "-12.25E-2", "true", "false", "null", #""a\u00e9\ud83d\ude00""#,
        #"{"a":[1,{"b":null}],"c":"d"}"#, " \n{ \"x\" : 1 } \t",
        // Integers on the no-String path (up to 15 digits) and past it, signs, and strings
        // without escapes (ASCII, and UTF-8 that must be validated) next to ones with escapes.
        "123456789012345", "-123456789012345", "1234567890123456", "-98765432109876543210", "[0,-0,7,-7,10,100]",
        #"{"id":18446744073709551615,"deadline_ms":1500}"#, #"["plain","üñí","a\"b","tab\t","\u00fc"]"#,
        "[true,false,null,[],{}]",
    ])
    func validJSONParsesLikeJSONSerialization(_ text: String) throws {
        let ours = try #require(JSONValue.parse(Array(text.utf8)))
        let theirs = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(ours == theirs)
    }

    @Test(arguments: [
        "", "{", "}", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "1e", "+1", "tru", "nul", "\"unterminated", "\"bad \\x escape\"",
        "\"lone \\ud800 surrogate\"", "\"lone \\udc00 low\"", "\"raw \n newline\"", "{\"a\" 1}", "{1:2}", "[1 2]", "1 2",
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
        "truе", "fals", "nulll", "[nul]", "-", "-a", "\"ok\" x", "[\"a\",\"b]", "{\"a\":\"b}",
    ])
    func invalidJSONIsRefused(_ text: String) {
        #expect(JSONValue.parse(Array(text.utf8)) == nil)
    }

    @Test func invalidUTF8IsRefused() {
        #expect(JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) == nil)
        #expect(JSONValue.parse([0x22, 0xFF, 0x22]) == nil)
        #expect(JSONValue.parse([0x5B, 0x22, 0x61, 0xE2, 0x82, 0x22, 0x5D]) == nil)
        // In a string with an escape too.
        #expect(JSONValue.parse([0x22, 0x5C, 0x6E, 0xC3, 0x28, 0x22]) == nil)
    }

    /// A parse from a collection that is not contiguous storage gives the same value.
    @Test func parsesAnyCollectionOfBytes() {
        let text = #"{"a":[1,"b",{"c":null}],"d":-2.5}"#
        #expect(JSONValue.parse(text.utf8) == JSONValue.parse(Array(text.utf8)))
        #expect(JSONValue.parse(Array(text.utf8).reversed().reversed()) == JSONValue.parse(Array(text.utf8)))
        #expect(JSONValue.parse(Array(text.utf8)) != nil)
    }

    @Test func minusZeroKeepsItsSign() throws {
        let value = try #require(JSONValue.parse(Array("-0".utf8))?.doubleValue)
        #expect(value == 0 && value.sign == .minus)
    }

    @Test(arguments: tricky)
    func stringsRoundTripThroughSerializeAndBothParsers(_ s: String) throws {
        var out: [UInt8] = []
        JSONValue.serializeString(s, into: &out)
        #expect(JSONValue.parse(out) == .string(s))
        #expect(try JSONDecoder().decode(String.self, from: Data(out)) == s)
    }

    /// Every ASCII byte, and a two-byte UTF-8 character, at every position of strings of 1 to 24
    /// bytes (inside and across the eight-byte words `needsEscape` reads): the output is exactly
    /// the per-byte escaping of RFC 8259 §7, and strings with nothing to escape are copied whole.
    @Test func everyByteAtEveryPositionIsEscapedExactlyAsNeeded() {
        func reference(_ s: String) -> [UInt8] {
            var out: [UInt8] = [UInt8(ascii: "\"")]
            for byte in s.utf8 {
                switch byte {
                case UInt8(ascii: "\""): out += Array(#"\""#.utf8)
                case UInt8(ascii: "\\"): out += Array(#"\\"#.utf8)
                case 0x0A: out += Array(#"\n"#.utf8)
                case 0x0D: out += Array(#"\r"#.utf8)
                case 0x09: out += Array(#"\t"#.utf8)
                case ..<0x20: out += Array(String(format: "\\u%04x", byte).utf8)
                default: out.append(byte)
                }
            }
            return out + [UInt8(ascii: "\"")]
        }
        let inserts = (0..<128).map { String(UnicodeScalar(UInt8($0))) } + ["é"]
        for length in 1...24 {
            for position in 0..<length {
                for insert in inserts {
                    let s = String(repeating: "a", count: position) + insert + String(repeating: "b", count: length - position - 1)
                    var out: [UInt8] = []
                    JSONValue.serializeString(s, into: &out)
                    #expect(out == reference(s), "\(s.debugDescription)")
                    let needs = s.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
                    #expect(Array(s.utf8).withUnsafeBufferPointer { JSONValue.needsEscape($0) } == needs)
                }
            }
        }
    }

    static func canonical(_ value: some JSONValueConvertible) -> [UInt8] {
        var out: [UInt8] = []
        value.jsonValue.serialize(into: &out)
        return out
    }

    /// Ours → JSONDecoder, and JSONEncoder → ours, compared by canonical (sorted-key) form.
    static func roundTrip<T: Codable & JSONValueConvertible>(_ value: T) throws {
        let ours = canonical(value)
        let decoded = try JSONDecoder().decode(T.self, from: Data(ours))
        #expect(canonical(decoded) == ours)
        let theirs = try JSONEncoder().encode(value)
        let parsed = try #require(JSONValue.parse(Array(theirs)).flatMap(T.init(jsonValue:)))
        #expect(canonical(parsed) == ours)
    }

    @Test(arguments: tricky)
    func hotTypesMatchTheirCodableForm(_ s: String) throws {
        let identifier = Identifier(type: .email, value: s + "@x.co")
        for scope in [CodeScope.generic, .interaction("i" + s)] {
            try Self.roundTrip(Verifier.CodeVerify.Params(scope: scope, identifier: identifier, verificationId: nil, code: s))
            try Self.roundTrip(Verifier.CodeVerify.Params(scope: scope, identifier: identifier, verificationId: s, code: "1"))
            try Self.roundTrip(Verifier.CodeIssue.Params(scope: scope, identifier: identifier, templateType: .register, clientIP: s))
            try Self.roundTrip(Verifier.CodeIssue.Params(scope: scope, identifier: identifier, templateType: .generic, clientIP: nil))
        }
        try Self.roundTrip(Verifier.CodeIssue.Result(verificationId: s, code: "012345", expiresAt: 1_790_000_000.25))
        try Self.roundTrip(Verifier.CodeVerify.Result(verificationId: s))
        try Self.roundTrip(Verifier.CodeReleaseSlot.Params(verificationId: s))
        let payload = Connector.Deliver.Payload(code: "9", locale: s)
        try Self.roundTrip(Connector.Deliver.Params(channel: .sms, to: s, templateType: .generic, payload: payload, clientIP: nil,
                                                    idempotencyKey: s))
        try Self.roundTrip(Connector.Deliver.Result(messageId: s, provider: "outbox"))
        try Self.roundTrip(ServiceError.messageRateLimited(retryAfter: 42).with(details: s))
        try Self.roundTrip(ServiceError.codeMismatch)
        try Self.roundTrip(Empty())
    }

    static func expectDirectWriteMatchesSerialize(_ value: some JSONValueConvertible) {
        var direct: [UInt8] = []
        value.writeJSON(into: &direct)
        #expect(direct == canonical(value), "\(String(decoding: direct, as: UTF8.self))")
    }

    /// The direct writers of the hot types (no dictionary, no sort) give exactly the canonical bytes.
    @Test(arguments: tricky)
    func directWritersGiveTheCanonicalBytes(_ s: String) {
        let identifier = Identifier(type: .phone, value: s)
        Self.expectDirectWriteMatchesSerialize(identifier)
        for scope in [CodeScope.generic, .interaction(s)] {
            Self.expectDirectWriteMatchesSerialize(scope)
            Self.expectDirectWriteMatchesSerialize(Verifier.CodeVerify.Params(scope: scope, identifier: identifier, verificationId: nil, code: s))
            Self.expectDirectWriteMatchesSerialize(Verifier.CodeVerify.Params(scope: scope, identifier: identifier, verificationId: s, code: ""))
            Self.expectDirectWriteMatchesSerialize(Verifier.CodeIssue.Params(scope: scope, identifier: identifier, templateType: .forgotPassword,
                                                                             clientIP: s))
            Self.expectDirectWriteMatchesSerialize(Verifier.CodeIssue.Params(scope: scope, identifier: identifier, templateType: .generic,
                                                                             clientIP: nil))
        }
        Self.expectDirectWriteMatchesSerialize(Verifier.CodeVerify.Result(verificationId: s))
        for expiresAt in Self.expiries {
            Self.expectDirectWriteMatchesSerialize(Verifier.CodeIssue.Result(verificationId: s, code: s, expiresAt: expiresAt))
        }
        for locale in [nil, s] {
            for clientIP in [nil, s] {
                Self.expectDirectWriteMatchesSerialize(Connector.Deliver.Params(channel: .email, to: s, templateType: .register,
                                                                                payload: .init(code: s, locale: locale), clientIP: clientIP,
                                                                                idempotencyKey: s))
            }
        }
        Self.expectDirectWriteMatchesSerialize(ServiceError.codeMismatch)
        Self.expectDirectWriteMatchesSerialize(ServiceError.messageRateLimited(retryAfter: 42).with(details: s))
        Self.expectDirectWriteMatchesSerialize(ServiceError(code: s, message: s, status: 503, data: ["k": .string(s), "n": .number(1.5)]))
    }

    @Test func wrongTypesFallBackInsteadOfGuessing() {
        let bad = JSONValue.parse(Array(#"{"scope":{"kind":"generic"},"identifier":{"type":"email","value":5},"code":"1"}"#.utf8))!
        #expect(Verifier.CodeVerify.Params(jsonValue: bad) == nil)
        let nullOptional = JSONValue.parse(Array(#"{"scope":{"kind":"generic"},"identifier":{"type":"phone","value":"1"},"verificationId":null,"code":"1"}"#.utf8))!
        #expect(Verifier.CodeVerify.Params(jsonValue: nullOptional)?.verificationId == nil)
        #expect(Verifier.CodeVerify.Params(jsonValue: nullOptional) != nil)
    }

    @Test func handWrittenRequestIsReadByFrameHeadAndByJSONDecoder() throws {
        let params = Verifier.CodeVerify.Params(scope: .generic, identifier: .init(type: .phone, value: "1555"), verificationId: nil, code: "123456")
        let body = try #require(FastEnvelope.request(id: 77, method: Verifier.CodeVerify.name, deadlineMs: 1500, rid: "r\"1", params: params))
        let head = try #require(FrameHead.request(in: body))
        #expect(head.id == 77 && head.method == "code.verify")
        let decoded = try JSONDecoder().decode(RPCRequestHead.self, from: Data(body))
        #expect(decoded.rid == "r\"1" && decoded.deadline_ms == 1500)
        let fast = try #require(FastEnvelope.decodeRequest(body, as: Verifier.CodeVerify.Params.self))
        #expect(fast.params.code == "123456" && fast.rid == "r\"1" && fast.deadlineMs == 1500)
    }

    @Test func errorRepliesDecodeByHand() throws {
        let frame = FastEnvelope.error(id: 3, .messageRateLimited(retryAfter: 7))
        guard case .error(let error)? = FastEnvelope.decodeReply(frame, as: Verifier.CodeVerify.Result.self) else {
            Issue.record("not decoded")
            return
        }
        #expect(error.code == "request.message_rate_limited" && error.retryAfter == 7 && error.status == 429)
    }

    /// A catalogue error (code, message, status) is read by the scanner without a tree; every
    /// other error reply is left to the general path and decodes to the same value there.
    @Test(arguments: [ServiceError.codeMismatch, .codeNotFound, .exceedMaxTry, .internalError,
                      ServiceError(code: "x", message: "", status: 599)])
    func catalogueErrorRepliesAreScannedByHand(_ error: ServiceError) throws {
        let frame = FastEnvelope.error(id: 18_446_744_073_709, error)
        #expect(FastEnvelope.plainError(frame) == error)
        #expect(Self.replyError(frame) == error)
    }

    /// The error a reply frame decodes to by `decodeReply`, whichever path reads it.
    static func replyError(_ frame: [UInt8]) -> ServiceError? {
        if case .error(let error)? = FastEnvelope.decodeReply(frame, as: Verifier.CodeVerify.Result.self) { return error }
        return nil
    }

    @Test(arguments: [ServiceError.codeMismatch.with(details: "2 attempts left"),
                      .messageRateLimited(retryAfter: 3),
                      ServiceError(code: "x.y", message: "a \"quoted\" word", status: 400),
                      ServiceError(code: "x.y", message: "Código inválido", status: 400),
                      ServiceError(code: "x.y", message: "tab\there", status: 400)])
    func otherErrorRepliesTakeTheGeneralPath(_ error: ServiceError) throws {
        let frame = FastEnvelope.error(id: 5, error)
        #expect(FastEnvelope.plainError(frame) == nil)
        #expect(Self.replyError(frame) == error)
    }

    @Test func malformedErrorRepliesAreNotScanned() {
        let good = #"{"v":1,"id":7,"error":{"code":"a.b","message":"M","status":400}}"#
        #expect(FastEnvelope.plainError(Array(good.utf8)) == ServiceError(code: "a.b", message: "M", status: 400))
        for bad in [String(good.dropLast()), good + " ", good.replacingOccurrences(of: "\"v\":1", with: "\"v\":2"),
                    good.replacingOccurrences(of: "400", with: ""), good.replacingOccurrences(of: "\"id\":7", with: "\"id\":-7"),
                    good.replacingOccurrences(of: "\"M\"", with: "\"M"), #"{"v":1,"id":7,"result":{}}"#, ""] {
            #expect(FastEnvelope.plainError(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    // MARK: - Requests scanned back without a tree (CanonicalJSONScanner)

    static func same(_ a: Verifier.CodeVerify.Params, _ b: Verifier.CodeVerify.Params) -> Bool {
        a.scope == b.scope && a.identifier == b.identifier && a.verificationId == b.verificationId && a.code == b.code
    }

    /// What the general path (a `JSONValue` tree) reads from the same frame.
    static func viaTree(_ frame: [UInt8]) -> (params: Verifier.CodeVerify.Params, rid: String?, deadlineMs: Int?)? {
        guard let envelope = JSONValue.parse(frame), let raw = envelope["params"],
              let params = Verifier.CodeVerify.Params(jsonValue: raw) else { return nil }
        let deadline = envelope["deadline_ms"]?.doubleValue.map { Int($0) }
        return (params, envelope["rid"]?.stringValue, deadline)
    }

    static let verifyRequests: [(Verifier.CodeVerify.Params, String?, Int?)] = {
        var out: [(Verifier.CodeVerify.Params, String?, Int?)] = []
        for scope in [CodeScope.generic, .interaction("000mkq1x9abcdefghijklmnopqrstuvwxyz")] {
            for verificationId in [nil, "000mkq1x9zyxwvutsrqponmlkjihgfedcba"] {
                for (rid, deadline) in [(nil, nil), ("req-1.a_B", 1500), (nil, 30000), ("r", nil)] as [(String?, Int?)] {
                    out.append((.init(scope: scope, identifier: .init(type: .email, value: "miss42@bench.test"),
                                      verificationId: verificationId, code: "012345"), rid, deadline))
                }
            }
        }
        out.append((.init(scope: .generic, identifier: .init(type: .phone, value: "15551234567"), verificationId: nil, code: ""), nil, 0))
        return out
    }()

    /// Every plain request the gateway writes is scanned back to the same params, rid and deadline.
    @Test func plainVerifyRequestsAreScannedBackExactly() throws {
        for (params, rid, deadline) in Self.verifyRequests {
            let frame = try #require(FastEnvelope.request(id: 123_456, method: Verifier.CodeVerify.name, deadlineMs: deadline, rid: rid, params: params))
            let scanned = try #require(FastEnvelope.scanRequest(frame, as: Verifier.CodeVerify.Params.self), "\(String(decoding: frame, as: UTF8.self))")
            #expect(Self.same(scanned.params, params) && scanned.rid == rid && scanned.deadlineMs == deadline)
            let decoded = try #require(FastEnvelope.decodeRequest(frame, as: Verifier.CodeVerify.Params.self))
            #expect(Self.same(decoded.params, params))
        }
    }

    /// Strings with escapes or beyond ASCII are left to the tree, which still decodes them.
    @Test(arguments: tricky.filter { $0 != "plain" && $0 != "" })
    func requestsWithOtherStringsTakeTheGeneralPath(_ s: String) throws {
        let params = Verifier.CodeVerify.Params(scope: .interaction(s), identifier: .init(type: .email, value: s), verificationId: s, code: s)
        for rid in [nil, s] {
            let frame = try #require(FastEnvelope.request(id: 9, method: Verifier.CodeVerify.name, deadlineMs: 1500, rid: rid, params: params))
            #expect(FastEnvelope.scanRequest(frame, as: Verifier.CodeVerify.Params.self) == nil)
            let decoded = try #require(FastEnvelope.decodeRequest(frame, as: Verifier.CodeVerify.Params.self))
            #expect(Self.same(decoded.params, params) && decoded.rid == rid)
        }
    }

    /// No prefix of a request scans, and a scan of any one-byte change either refuses or agrees
    /// with the tree: the scanner is never the reason a request means something else.
    @Test func damagedRequestsNeverScanToAnotherValue() throws {
        let params = Verifier.CodeVerify.Params(scope: .interaction("i1"), identifier: .init(type: .email, value: "a@b.c"),
                                                verificationId: "v1", code: "123456")
        let frame = try #require(FastEnvelope.request(id: 77, method: Verifier.CodeVerify.name, deadlineMs: 1500, rid: "r1", params: params))
        for end in 0..<frame.count {
            #expect(FastEnvelope.scanRequest(Array(frame[..<end]), as: Verifier.CodeVerify.Params.self) == nil)
        }
        #expect(FastEnvelope.scanRequest(frame + [0x20], as: Verifier.CodeVerify.Params.self) == nil)
        var scannedChanges = 0
        for position in frame.indices {
            for byte: UInt8 in [0x00, 0x20, 0x22, 0x2C, 0x30, 0x39, 0x5C, 0x61, 0x7B, 0x7D, 0x7F, 0xC3] where byte != frame[position] {
                var damaged = frame
                damaged[position] = byte
                guard let scanned = FastEnvelope.scanRequest(damaged, as: Verifier.CodeVerify.Params.self) else { continue }
                scannedChanges += 1
                let tree = try #require(Self.viaTree(damaged), "scanned but the tree refuses: \(String(decoding: damaged, as: UTF8.self))")
                #expect(Self.same(scanned.params, tree.params) && scanned.rid == tree.rid && scanned.deadlineMs == tree.deadlineMs,
                        "\(String(decoding: damaged, as: UTF8.self))")
            }
        }
        #expect(scannedChanges > 0)   // changes inside the strings and digits still scan
    }

    /// Types without a scanner are not scanned (the general path decodes them).
    @Test func paramsWithoutAScannerAreNotScanned() throws {
        let params = Verifier.CodeReleaseSlot.Params(verificationId: "v1")
        let frame = try #require(FastEnvelope.request(id: 1, method: Verifier.CodeReleaseSlot.name, deadlineMs: nil, rid: nil, params: params))
        #expect(FastEnvelope.scanRequest(frame, as: Verifier.CodeReleaseSlot.Params.self) == nil)
        #expect(FastEnvelope.decodeRequest(frame, as: Verifier.CodeReleaseSlot.Params.self)?.params.verificationId == "v1")
    }

    /// Expiry times as the verifier writes them: fractional, whole, tiny, huge (exponent form).
    static let expiries: [Double] = [1_796_000_000.25, 1_796_000_000, 1_796_000_000.123, 0, 0.5, 1e-7, 123_456_789_012_345.67,
                                     1.7976931348623157e308]

    /// `code.issue` replies (every send) are scanned back exactly, numbers included, and agree
    /// with the general path.
    @Test func issueRepliesAreScannedBack() throws {
        for expiresAt in Self.expiries {
            let result = Verifier.CodeIssue.Result(verificationId: "000mkq1x9abcdefghijklmnopqrstuvwxyz", code: "004217", expiresAt: expiresAt)
            let frame = try #require(FastEnvelope.result(id: 12, result))
            let scanned = try #require(FastEnvelope.scanResult(frame, as: Verifier.CodeIssue.Result.self), "\(String(decoding: frame, as: UTF8.self))")
            #expect(scanned.verificationId == result.verificationId && scanned.code == result.code && scanned.expiresAt == expiresAt)
            guard case .result(let decoded)? = FastEnvelope.decodeReply(frame, as: Verifier.CodeIssue.Result.self) else {
                Issue.record("not decoded")
                continue
            }
            #expect(decoded.jsonValue == result.jsonValue)
        }
    }

    /// JSON's number grammar, no more: what the scanner reads as a number, the tree reads the same.
    @Test func numbersScanByJSONGrammarOnly() {
        func scan(_ text: String) -> Double? {
            Array(text.utf8).withUnsafeBufferPointer { bytes in
                var s = CanonicalJSONScanner(bytes)
                guard let value = s.number(), s.atEnd else { return nil }
                return value
            }
        }
        for good in ["0", "-0", "7", "-12", "1.5", "0.25", "1e3", "1E+3", "2.5e-3", "1796000000.25", "1.7976931348623157e+308"] {
            #expect(scan(good) == JSONValue.parse(Array(good.utf8))?.doubleValue, "\(good)")
            #expect(scan(good) != nil, "\(good)")
        }
        for bad in ["", "-", "+1", "01", "1.", ".5", "1e", "1e+", "--1", "0x10", "1,5", "nan", "inf", "1e400", " 1"] {
            #expect(scan(bad) == nil, "\(bad)")
        }
    }

    /// No prefix of a `code.issue` reply scans, and any one-byte change that still scans reads as
    /// the tree reads it.
    @Test func damagedIssueRepliesNeverScanToAnotherValue() throws {
        let result = Verifier.CodeIssue.Result(verificationId: "v1", code: "123456", expiresAt: 1_796_000_000.25)
        let frame = try #require(FastEnvelope.result(id: 77, result))
        for end in 0..<frame.count {
            #expect(FastEnvelope.scanResult(Array(frame[..<end]), as: Verifier.CodeIssue.Result.self) == nil)
        }
        var scannedChanges = 0
        for position in frame.indices {
            for byte: UInt8 in [0x00, 0x20, 0x22, 0x2B, 0x2C, 0x2D, 0x2E, 0x30, 0x39, 0x45, 0x5C, 0x61, 0x65, 0x7B, 0x7D, 0xC3]
            where byte != frame[position] {
                var damaged = frame
                damaged[position] = byte
                guard let scanned = FastEnvelope.scanResult(damaged, as: Verifier.CodeIssue.Result.self) else { continue }
                scannedChanges += 1
                let envelope = try #require(JSONValue.parse(damaged), "scanned but not JSON: \(String(decoding: damaged, as: UTF8.self))")
                let tree = try #require(envelope["result"].flatMap(Verifier.CodeIssue.Result.init(jsonValue:)))
                #expect(scanned.jsonValue == tree.jsonValue, "\(String(decoding: damaged, as: UTF8.self))")
            }
        }
        #expect(scannedChanges > 0)
    }

    // MARK: - The send path's types

    static let issueParams: [Verifier.CodeIssue.Params] = [CodeScope.generic, .interaction("000mkq1x9abcdefghijklmnop")].flatMap { scope in
        [nil, "203.0.113.7", "2001:db8::1"].flatMap { clientIP in
            TemplateType.allCases.map { template in
                Verifier.CodeIssue.Params(scope: scope, identifier: .init(type: .phone, value: "15551234567"), templateType: template,
                                          clientIP: clientIP)
            }
        }
    }

    static let deliverParams: [Connector.Deliver.Params] = Channel.allCases.flatMap { channel in
        [nil, "203.0.113.7"].flatMap { clientIP in
            [nil, "pt-BR"].map { locale in
                Connector.Deliver.Params(channel: channel, to: "user+tag@example.com", templateType: .forgotPassword,
                                         payload: .init(code: "004217", locale: locale), clientIP: clientIP,
                                         idempotencyKey: "000mkq1x9abcdefghijklmnopqrstuvwxyz")
            }
        }
    }

    /// A request frame scanned and decoded the general way give the same params (compared as JSON).
    static func expectRequestScans<P: JSONValueConvertible & Sendable>(_ params: P, method: String, plain: Bool) throws {
        let frame = try #require(FastEnvelope.request(id: 42, method: method, deadlineMs: 1500, rid: "rid-1", params: params))
        let scanned = FastEnvelope.scanRequest(frame, as: P.self)
        if plain {
            #expect(scanned?.params.jsonValue == params.jsonValue && scanned?.rid == "rid-1" && scanned?.deadlineMs == 1500,
                    "\(String(decoding: frame, as: UTF8.self))")
        } else {
            #expect(scanned == nil)
        }
        #expect(FastEnvelope.decodeRequest(frame, as: P.self)?.params.jsonValue == params.jsonValue)
    }

    @Test func sendPathRequestsAreScannedBack() throws {
        for params in Self.issueParams { try Self.expectRequestScans(params, method: Verifier.CodeIssue.name, plain: true) }
        for params in Self.deliverParams { try Self.expectRequestScans(params, method: Connector.Deliver.name, plain: true) }
    }

    @Test(arguments: tricky.filter { $0 != "plain" && $0 != "" })
    func sendPathRequestsWithOtherStringsTakeTheGeneralPath(_ s: String) throws {
        try Self.expectRequestScans(Verifier.CodeIssue.Params(scope: .generic, identifier: .init(type: .email, value: s),
                                                              templateType: .generic, clientIP: nil),
                                    method: Verifier.CodeIssue.name, plain: false)
        try Self.expectRequestScans(Connector.Deliver.Params(channel: .sms, to: "1555", templateType: .generic,
                                                             payload: .init(code: "1", locale: s), idempotencyKey: "k"),
                                    method: Connector.Deliver.name, plain: false)
    }

    @Test func resultRepliesAreScannedBack() throws {
        let verified = Verifier.CodeVerify.Result(verificationId: "000mkq1x9abcdefghijklmnopqrstuvwxyz")
        let delivered = Connector.Deliver.Result(messageId: "outbox-17", provider: "outbox")
        let verifiedFrame = try #require(FastEnvelope.result(id: 8, verified))
        let deliveredFrame = try #require(FastEnvelope.result(id: 9, delivered))
        #expect(FastEnvelope.scanResult(verifiedFrame, as: Verifier.CodeVerify.Result.self)?.verificationId == verified.verificationId)
        #expect(FastEnvelope.scanResult(deliveredFrame, as: Connector.Deliver.Result.self) == delivered)
        guard case .result(let viaReply)? = FastEnvelope.decodeReply(deliveredFrame, as: Connector.Deliver.Result.self) else {
            Issue.record("not decoded")
            return
        }
        #expect(viaReply == delivered)
        let escaped = Connector.Deliver.Result(messageId: "<id\"1>", provider: "smtp")
        let escapedFrame = try #require(FastEnvelope.result(id: 10, escaped))
        #expect(FastEnvelope.scanResult(escapedFrame, as: Connector.Deliver.Result.self) == nil)
        guard case .result(let general)? = FastEnvelope.decodeReply(escapedFrame, as: Connector.Deliver.Result.self) else {
            Issue.record("not decoded")
            return
        }
        #expect(general == escaped)
    }

    /// As for `code.verify`: no prefix of a `connector.deliver` request scans, and any one-byte
    /// change that still scans reads as the tree reads it.
    @Test func damagedDeliverRequestsNeverScanToAnotherValue() throws {
        let params = Connector.Deliver.Params(channel: .email, to: "a@b.c", templateType: .signIn, payload: .init(code: "123456", locale: "en"),
                                              clientIP: "10.0.0.1", idempotencyKey: "k1")
        let frame = try #require(FastEnvelope.request(id: 77, method: Connector.Deliver.name, deadlineMs: 1500, rid: "r1", params: params))
        for end in 0..<frame.count {
            #expect(FastEnvelope.scanRequest(Array(frame[..<end]), as: Connector.Deliver.Params.self) == nil)
        }
        var scannedChanges = 0
        for position in frame.indices {
            for byte: UInt8 in [0x00, 0x20, 0x22, 0x2C, 0x30, 0x5C, 0x61, 0x7B, 0x7D, 0xC3] where byte != frame[position] {
                var damaged = frame
                damaged[position] = byte
                guard let scanned = FastEnvelope.scanRequest(damaged, as: Connector.Deliver.Params.self) else { continue }
                scannedChanges += 1
                let envelope = try #require(JSONValue.parse(damaged), "scanned but not JSON: \(String(decoding: damaged, as: UTF8.self))")
                let tree = try #require(envelope["params"].flatMap(Connector.Deliver.Params.init(jsonValue:)))
                #expect(scanned.params.jsonValue == tree.jsonValue && scanned.rid == envelope["rid"]?.stringValue,
                        "\(String(decoding: damaged, as: UTF8.self))")
            }
        }
        #expect(scannedChanges > 0)
    }
}
