import Foundation
import Testing
@testable import ConnectorService

/// `Retry-After` as providers send it (RFC 9110 §10.2.3): delay-seconds or an HTTP-date (§5.6.7).
@Suite struct RetryAfterTests {
    /// RFC 9110 §5.6.7's example instant in its three forms.
    static let example = Date(timeIntervalSince1970: 784_111_777)
    static let now2026 = Date(timeIntervalSince1970: 1_795_000_000)

    @Test func theThreeHTTPDateFormsReadAsTheSameInstant() {
        #expect(Timestamp.httpDate("Sun, 06 Nov 1994 08:49:37 GMT") == Self.example)
        #expect(Timestamp.httpDate("Sunday, 06-Nov-94 08:49:37 GMT", now: Self.now2026) == Self.example)
        #expect(Timestamp.httpDate("Sun Nov  6 08:49:37 1994") == Self.example)
        // What we send in mail headers, read back.
        let written = Timestamp.rfc5322(Self.example).replacingOccurrences(of: "+0000", with: "GMT")
        #expect(Timestamp.httpDate(written[...]) == Self.example)
    }

    @Test func twoDigitYearsAreNeverMoreThanFiftyYearsAhead() {
        let y2026 = Timestamp.httpDate("Saturday, 28-Nov-26 08:00:00 GMT", now: Self.now2026)
        let y2076 = Timestamp.httpDate("Saturday, 28-Nov-76 08:00:00 GMT", now: Self.now2026)
        let y1977 = Timestamp.httpDate("Sunday, 28-Nov-77 08:00:00 GMT", now: Self.now2026)
        #expect(y2026 == Timestamp.httpDate("Sat, 28 Nov 2026 08:00:00 GMT"))
        #expect(y2076 == Timestamp.httpDate("Sat, 28 Nov 2076 08:00:00 GMT"))
        #expect(y1977 == Timestamp.httpDate("Sun, 28 Nov 1977 08:00:00 GMT"))
    }

    @Test func anythingElseIsNotADate() {
        for text in ["Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 24:00:00 GMT",
                     "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "06 Nov 1994", "Sun, 06 Nov 94 08:49:37 GMT",
                     "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49 1994", "", "soon"] {
            #expect(Timestamp.httpDate(text[...]) == nil, "\(text)")
        }
    }

    @Test func retryAfterInSecondsOrAsADate() {
        let now = Self.now2026
        #expect(HTTPTransport.retryAfter("120", now: now) == .seconds(120))
        #expect(HTTPTransport.retryAfter(" 7\t", now: now) == .seconds(7))
        #expect(HTTPTransport.retryAfter("99999999999999999999999", now: now) == .seconds(86_400))
        let inNinety = Timestamp.rfc5322(now.addingTimeInterval(90)).replacingOccurrences(of: "+0000", with: "GMT")
        #expect(HTTPTransport.retryAfter(inNinety, now: now) == .seconds(90))
        #expect(HTTPTransport.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == .zero)  // past: at once
        #expect(HTTPTransport.retryAfter("Sun, 06 Nov 2094 08:49:37 GMT", now: now) == .seconds(86_400))
        #expect(HTTPTransport.retryAfter("soon", now: now) == nil)
        #expect(HTTPTransport.retryAfter("", now: now) == nil)
        #expect(HTTPTransport.retryAfter(nil, now: now) == nil)
    }
}
