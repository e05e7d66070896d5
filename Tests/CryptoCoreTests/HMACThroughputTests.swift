import CryptoCore
import Foundation
import Testing

/// One-shot `HMAC.sha256` against a reused `HMAC.SHA256Key`, per MAC of a code-sized message. A
/// measurement, not a gate: it runs only with `PASSCODE_BENCH=1` and prints its numbers.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PASSCODE_BENCH"] == "1"))
struct HMACThroughputTests {
    static let rounds = 200_000

    @Test func keyedContextAgainstOneShot() {
        let secret = Array("secret-A-0123456789abcdef".utf8)
        let key = HMAC.SHA256Key(secret)
        let recordID = "0123456789abcdefghijklmnop"
        let code = "123456"
        var sink: UInt8 = 0

        let oneShot = Self.nanosecondsPerCall {
            sink ^= HMAC.sha256(key: secret, message: Array(recordID.utf8) + Array(code.utf8))[0]
        }
        let keyed = Self.nanosecondsPerCall { sink ^= key.mac(utf8: recordID, code)[0] }
        print("HMAC one-shot \(Int(oneShot)) ns/MAC, keyed context \(Int(keyed)) ns/MAC (sink \(sink))")
        #expect(key.mac(utf8: recordID, code) == HMAC.sha256(key: secret, message: recordID + code))
    }

    private static func nanosecondsPerCall(_ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        for _ in 0..<rounds { body() }
        let elapsed = (ContinuousClock.now - start).components
        return (Double(elapsed.seconds) * 1e9 + Double(elapsed.attoseconds) / 1e9) / Double(rounds)
    }
}
