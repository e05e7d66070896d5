import Foundation
import SyncCore
import Testing

/// Response times must not tell an attacker which identifiers have a live code, nor how much of a
/// key is right (docs/RELIABILITY.md "Timing"). Samples are interleaved so machine load hits both
/// sides alike, and medians are compared with a tolerance meant for a busy 2-core CI machine: the
/// tests catch a gross difference (a missing lookup, an early-exit compare over the network), not
/// microseconds.
@Suite(.serialized, .heavy, .passcode(["PASSCODE_LOG_LEVEL": "notice"]))
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

    /// Interleaved samples of two kinds of request, taken off the cooperative pool; the error code
    /// of every response is kept so the caller can check each side did what it should.
    static func sample(_ a: @escaping @Sendable () throws -> HTTPTestResponse,
                       _ b: @escaping @Sendable () throws -> HTTPTestResponse) async throws -> (a: [Double], b: [Double], codes: Set<String>) {
        try await LoadRun.offPool {
            var timesA: [Double] = []
            var timesB: [Double] = []
            var codes: Set<String> = []
            for i in 0..<samples {
                // Alternate which side goes first.
                for takeA in i % 2 == 0 ? [true, false] : [false, true] {
                    let (r, seconds) = try time(takeA ? a : b)
                    codes.insert((takeA ? "a:" : "b:") + (r.code ?? "\(r.status)"))
                    if takeA { timesA.append(seconds) } else { timesB.append(seconds) }
                }
            }
            return (timesA, timesB, codes)
        }
    }

    @Test func verifyOfAnUnknownIdentifierTakesAsLongAsAWrongCodeForAKnownOne() async throws {
        let p = try Running.current
        // Known identifiers with a live code; each takes at most 9 wrong guesses so it stays a
        // code_mismatch (the 10th would turn into exceed_max_try).
        let known = try await LoadRun.offPool { () throws -> [(String, String)] in
            let client = PasscodeClient(p)
            var known: [(String, String)] = []
            for _ in 0..<(Self.samples / 9 + 1) {
                let email = uniqueEmail("timing-known")
                guard try client.send(email: email).status == 204, let code = p.code(for: email) else { throw E2EError.http("send") }
                known.append((email, code))
            }
            // Warm-up, so first-use costs fall on neither side.
            for _ in 0..<20 { _ = try client.verify(email: uniqueEmail("timing-warm"), code: "123456") }
            return known
        }
        let client = PasscodeClient(p)
        let next = Locked(0)
        let (unknownTimes, knownTimes, codes) = try await Self.sample(
            { try client.verify(email: uniqueEmail("timing-unknown"), code: "123456") },
            {
                let n = next.withLock { n in defer { n += 1 }; return n }
                let (email, code) = known[n / 9]
                return try client.verify(email: email, code: wrongCode(code))
            })
        #expect(codes == ["a:verification_code.not_found", "b:verification_code.code_mismatch"])
        let unknown = Self.median(unknownTimes)
        let knownMedian = Self.median(knownTimes)
        #expect(Self.similar(unknown, knownMedian),
                "median verify: unknown identifier \(unknown * 1000) ms, known with a wrong code \(knownMedian * 1000) ms")
    }

    @Test func aKeyWithTheRightPrefixIsRefusedAsFastAsAnyOtherWrongKey() async throws {
        let p = try Running.current
        let http = PasscodeClient(p).http
        let body = #"{"email":"nobody@example.com","verificationCode":"123456"}"#
        // The configured key is e2e-key-123456: one differs in its last byte, one in its first.
        let (nearTimes, farTimes, codes) = try await Self.sample(
            { try http.request("POST", "/api/verification-codes/verify", json: body, headers: [("Authorization", "Bearer e2e-key-123457")]) },
            { try http.request("POST", "/api/verification-codes/verify", json: body, headers: [("Authorization", "Bearer x2e-key-123456")]) })
        #expect(codes == ["a:auth.unauthorized", "b:auth.unauthorized"])
        let near = Self.median(nearTimes)
        let far = Self.median(farTimes)
        #expect(Self.similar(near, far), "median 401: right prefix \(near * 1000) ms, wrong first byte \(far * 1000) ms")
    }
}
