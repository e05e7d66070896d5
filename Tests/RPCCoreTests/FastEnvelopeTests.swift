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
        guard case .error(let decoded)? = FastEnvelope.decodeReply(frame, as: Verifier.CodeVerify.Result.self) else {
            Issue.record("not decoded")
            return
        }
        #expect(decoded == error)
    }

    @Test(arguments: [ServiceError.codeMismatch.with(details: "2 attempts left"),
                      .messageRateLimited(retryAfter: 3),
                      ServiceError(code: "x.y", message: "a \"quoted\" word", status: 400),
                      ServiceError(code: "x.y", message: "Código inválido", status: 400),
                      ServiceError(code: "x.y", message: "tab\there", status: 400)])
    func otherErrorRepliesTakeTheGeneralPath(_ error: ServiceError) throws {
        let frame = FastEnvelope.error(id: 5, error)
        #expect(FastEnvelope.plainError(frame) == nil)
        guard case .error(let decoded)? = FastEnvelope.decodeReply(frame, as: Verifier.CodeVerify.Result.self) else {
            Issue.record("not decoded")
            return
        }
        #expect(decoded == error)
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
}
