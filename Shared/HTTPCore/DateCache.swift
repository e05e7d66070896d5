#if canImport(Glibc)
    import Glibc
#endif
import Synchronization
import SyncCore

/// The `Date` header value (IMF-fixdate, RFC 9110 §5.6.7), formatted at most once per second and
/// shared by every response in that second. The clock is injected so tests can pin the time.
public final class DateCache: Sendable {
    private let clock: @Sendable () -> Int
    /// The second last formatted and its text; a lock rather than thread confinement so one cache
    /// may serve several loops. Uncontended, it costs a few nanoseconds per response.
    private let cached: Locked<(second: Int, value: String)>

    /// `clock` returns whole seconds since the Unix epoch.
    public init(clock: @escaping @Sendable () -> Int = DateCache.systemSeconds) {
        self.clock = clock
        let now = clock()
        self.cached = Locked((now, DateCache.imfFixdate(epochSeconds: now)))
    }

    /// The current date, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    public var headerValue: String {
        let now = clock()
        return cached.withLock { entry in
            if entry.second != now {
                entry = (now, DateCache.imfFixdate(epochSeconds: now))
            }
            return entry.value
        }
    }

    public static func systemSeconds() -> Int {
        Int(time(nil))
    }

    private static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT (RFC 9110 §5.6.7).
    public static func imfFixdate(epochSeconds: Int) -> String {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let secondOfDay = epochSeconds - days * 86_400
        // 1970-01-01 was a Thursday (index 4).
        let weekday = ((days % 7) + 7 + 4) % 7
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        return dayNames[weekday] + ", " + pad(day, 2) + " " + monthNames[month - 1] + " " + pad(year, 4) + " "
            + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2) + " GMT"
    }

    /// Proleptic Gregorian date of a day count, after Howard Hinnant's `civil_from_days`.
    private static func civilDate(daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
