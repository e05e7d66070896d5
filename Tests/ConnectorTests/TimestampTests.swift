import Foundation
import Testing
@testable import ConnectorService

/// The hand-written formats against Foundation's formatter and their published shapes.
@Suite struct TimestampTests {
    /// Instants across the calendar's edges (epoch, leap day, year ends, millisecond boundaries)
    /// and 2,000 random ones up to year 9999: each reads back through ISO8601DateFormatter as the
    /// same millisecond, in the fixed 24-character shape.
    @Test func iso8601MatchesFoundationToTheMillisecond() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        // In milliseconds since 1970.
        var instants: [Int64] = [0, 1, 123, 999, 951_782_400_500, 1_709_164_799_999, 946_684_799_999, 253_402_300_799_999]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 { instants.append(Int64.random(in: 0..<253_402_300_800_000, using: &generator)) }
        for millis in instants {
            let text = Timestamp.iso8601(Date(timeIntervalSince1970: Double(millis) / 1000))
            #expect(text.utf8.count == 24, "\(text)")
            let read = try #require(formatter.date(from: text), "\(text)")
            #expect(Int64((read.timeIntervalSince1970 * 1000).rounded()) == millis, "\(text)")
        }
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: 0.123)) == "1970-01-01T00:00:00.123Z")
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: 951_782_400.25)) == "2000-02-29T00:00:00.250Z")
        #expect(Timestamp.iso8601(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }

    @Test func messageIdsAre128RandomBitsInLowercaseHex() {
        var seen = Set<String>()
        for _ in 0..<1_000 {
            let id = MessageID.make()
            #expect(id.hasPrefix("msg_"))
            let hex = id.dropFirst(4)
            #expect(hex.utf8.count == 32)
            #expect(hex.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
            seen.insert(id)
        }
        #expect(seen.count == 1_000)
        #expect(MessageID.make(prefix: "x-").hasPrefix("x-"))
        // Every hex position takes more than one value over many ids (no stuck digit).
        let ids = seen.map { Array($0.utf8.dropFirst(4)) }
        for position in 0..<32 { #expect(Set(ids.map { $0[position] }).count > 1, "position \(position)") }
    }
}
