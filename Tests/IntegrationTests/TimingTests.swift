import Foundation
import Testing

/// Response times must not tell an attacker which identifiers have a live code, nor how much of a
/// key is right (docs/RELIABILITY.md "Timing"). Samples are interleaved so machine load hits both
/// sides alike, and medians are compared with a tolerance meant for a busy 2-core CI machine: the
/// tests catch a gross difference (a missing lookup, an early-exit compare over the network), not
/// microseconds.
@Suite(.serialized, .passcode(["PASSCODE_LOG_LEVEL": "notice"]))
struct TimingTests {
    static let samples = 300

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    /// Two medians are "the same within noise": within 1 ms, or within 35 % of the larger.
    static func similar(_ a: Double, _ b: Double) -> Bool {
        abs(a - b) <= max(0.001, 0.35 * max(a, b))
    }

    static func time(_ body: () throws -> HTTPTestResponse) rethrows -> (HTTPTestResponse, Double) {
        let started = DispatchTime.now().uptimeNanoseconds
        let r = try body()
        return (r, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }

    @Test func verifyOfAnUnknownIdentifierTakesAsLongAsAWrongCodeForAKnownOne() throws {
        let p = try Running.current
        let client = PasscodeClient(p)
        // Known identifiers with a live code; each takes at most 9 wrong guesses so it stays a
        // code_mismatch (the 10th would turn into exceed_max_try).
        var known: [(String, String)] = []
        for _ in 0..<(Self.samples / 9 + 1) {
            let email = uniqueEmail("timing-known")
            #expect(try client.send(email: email).status == 204)
            known.append((email, try #require(p.code(for: email))))
        }
        // Warm-up, so first-use costs fall on neither side.
        for _ in 0..<20 { _ = try client.verify(email: uniqueEmail("timing-warm"), code: "123456") }

        var unknownTimes: [Double] = []
        var knownTimes: [Double] = []
        for i in 0..<Self.samples {
            let (email, code) = known[i / 9]
            let pair: [(Bool, () throws -> HTTPTestResponse)] = [
                (false, { try client.verify(email: uniqueEmail("timing-unknown"), code: wrongCode(code)) }),
                (true, { try client.verify(email: email, code: wrongCode(code)) }),
            ]
            // Alternate which side goes first.
            for (isKnown, call) in i % 2 == 0 ? pair : pair.reversed() {
                let (r, seconds) = try Self.time(call)
                if isKnown {
                    #expect(r.code == "verification_code.code_mismatch")
                    knownTimes.append(seconds)
                } else {
                    #expect(r.code == "verification_code.not_found")
                    unknownTimes.append(seconds)
                }
            }
        }
        let unknown = Self.median(unknownTimes)
        let knownMedian = Self.median(knownTimes)
        #expect(Self.similar(unknown, knownMedian),
                "median verify: unknown identifier \(unknown * 1000) ms, known with a wrong code \(knownMedian * 1000) ms")
    }

    @Test func aKeyWithTheRightPrefixIsRefusedAsFastAsAnyOtherWrongKey() throws {
        let p = try Running.current
        let http = PasscodeClient(p).http
        let body = #"{"email":"nobody@example.com","verificationCode":"123456"}"#
        // The configured key is e2e-key-123456: one differs in its last byte, one in its first.
        let nearly = "e2e-key-123457"
        let far = "x2e-key-123456"
        var nearTimes: [Double] = []
        var farTimes: [Double] = []
        for i in 0..<Self.samples {
            let pair = [(true, nearly), (false, far)]
            for (isNear, key) in i % 2 == 0 ? pair : pair.reversed() {
                let (r, seconds) = try Self.time {
                    try http.request("POST", "/api/verification-codes/verify", json: body, headers: [("Authorization", "Bearer \(key)")])
                }
                #expect(r.code == "auth.unauthorized")
                if isNear { nearTimes.append(seconds) } else { farTimes.append(seconds) }
            }
        }
        let near = Self.median(nearTimes)
        let farMedian = Self.median(farTimes)
        #expect(Self.similar(near, farMedian), "median 401: right prefix \(near * 1000) ms, wrong first byte \(farMedian * 1000) ms")
    }
}
