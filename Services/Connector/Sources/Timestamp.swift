#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The two date formats messages carry, formatted by hand so no shared formatter crosses threads.
enum Timestamp {
    /// ISO 8601 / RFC 3339 in UTC with milliseconds: `2025-01-31T12:00:00.123Z`.
    /// Written as bytes, not interpolated: every outbox line carries one (issue 7).
    static func iso8601(_ date: Date = Date()) -> String {
        let (parts, millis) = utcParts(date)
        var out: [UInt8] = []
        out.reserveCapacity(24)
        appendDigits(Int(parts.tm_year) + 1900, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(Int(parts.tm_mon) + 1, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(Int(parts.tm_mday), width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(Int(parts.tm_hour), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(Int(parts.tm_min), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(Int(parts.tm_sec), width: 2, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(millis, width: 3, to: &out)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `value` (not negative) in decimal, zero-padded to at least `width` digits.
    private static func appendDigits(_ value: Int, width: Int, to out: inout [UInt8]) {
        let start = out.count
        var rest = max(0, value)
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        while out.count - start < width { out.append(UInt8(ascii: "0")) }
        out[start...].reverse()
    }

    /// RFC 5322 §3.3 date-time in UTC: `Fri, 31 Jan 2025 12:00:00 +0000`.
    static func rfc5322(_ date: Date = Date()) -> String {
        let (parts, _) = utcParts(date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let day = days[Int(parts.tm_wday) % 7]
        let month = months[Int(parts.tm_mon) % 12]
        return "\(day), \(pad(parts.tm_mday, 2)) \(month) \(pad(parts.tm_year + 1900, 4)) "
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)) +0000"
    }

    /// An HTTP-date (RFC 9110 §5.6.7) in any of the three forms a recipient must accept:
    /// IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 form
    /// `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994`. The weekday is not
    /// checked against the date. A two-digit year more than 50 years ahead of `now` is the most
    /// recent past year with those digits, as §5.6.7 asks. Nil for anything else.
    static func httpDate(_ text: Substring, now: Date = Date()) -> Date? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let day: Int?, month: Int?, time: (Int, Int, Int)?
        var year: Int?
        switch fields.count {
        case 6 where fields[0].hasSuffix(",") && fields[5] == "GMT":  // IMF-fixdate
            (day, month, year, time) = (number(fields[1], digits: 2), monthNumber(fields[2]), number(fields[3], digits: 4), clock(fields[4]))
        case 4 where fields[0].hasSuffix(",") && fields[3] == "GMT":  // RFC 850: 06-Nov-94
            let parts = fields[1].split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3 else { return nil }
            (day, month, time) = (number(parts[0], digits: 2), monthNumber(parts[1]), clock(fields[2]))
            if let yy = number(parts[2], digits: 2) {
                let thisYear = utcParts(now).0.tm_year + 1900
                var full = Int(thisYear) / 100 * 100 + yy
                if full > Int(thisYear) + 50 { full -= 100 }
                year = full
            }
        case 5:  // asctime: the day may be one digit (padded with a space, gone in the split)
            (day, month, year, time) = (number(fields[2], digits: 1...2), monthNumber(fields[1]), number(fields[4], digits: 4), clock(fields[3]))
        default:
            return nil
        }
        guard let day, let month, let year, let (hour, minute, second) = time,
              (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        // timegm normalises 31 Feb into March: a date that does not exist is not a date.
        guard parts.tm_mday == Int32(day), parts.tm_mon == Int32(month - 1) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func monthNumber(_ name: Substring) -> Int? {
        monthNames.firstIndex { $0 == name }.map { $0 + 1 }
    }

    private static func number(_ text: Substring, digits: Int) -> Int? {
        number(text, digits: digits...digits)
    }

    private static func number(_ text: Substring, digits: ClosedRange<Int>) -> Int? {
        guard digits.contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }

    /// `HH:MM:SS`.
    private static func clock(_ text: Substring) -> (Int, Int, Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let h = number(parts[0], digits: 2), let m = number(parts[1], digits: 2),
              let s = number(parts[2], digits: 2) else { return nil }
        return (h, m, s)
    }

    private static func utcParts(_ date: Date) -> (tm, Int) {
        // To the nearest millisecond: most decimal instants have no exact binary form, and
        // truncating 0.123 s (0.12299…) wrote `.122`.
        let totalMillis = (date.timeIntervalSince1970 * 1000).rounded()
        var seconds = time_t((totalMillis / 1000).rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = min(999, max(0, Int(totalMillis - Double(seconds) * 1000)))
        return (parts, millis)
    }

    private static func pad(_ value: Int32, _ width: Int) -> String {
        let s = String(value)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
