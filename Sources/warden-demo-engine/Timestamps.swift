import Foundation

/// Time formats shared with the supervisor.
///
/// The database stores UTC text in the exact format of SQLite's `datetime('now')` so that
/// queries such as `planned_close_time < datetime('now')` compare correctly as strings.
enum Timestamp {
    /// `YYYY-MM-DD HH:MM:SS`, UTC, whole seconds (the fraction is truncated).
    static func sqlite(_ date: Date) -> String {
        let t = utc(date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d",
            t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the ISO 8601 form every parser accepts (no fractional seconds).
    static func iso8601(_ date: Date) -> String {
        let t = utc(date)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ",
            t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
    }

    /// Parses the `datetime('now')` format back; nil for anything else.
    static func parseSQLite(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { "- :T".contains($0) }).compactMap { Int($0) }
        guard parts.count >= 6 else { return nil }
        var t = tm()
        t.tm_year = Int32(parts[0] - 1900)
        t.tm_mon = Int32(parts[1] - 1)
        t.tm_mday = Int32(parts[2])
        t.tm_hour = Int32(parts[3])
        t.tm_min = Int32(parts[4])
        t.tm_sec = Int32(parts[5])
        return Date(timeIntervalSince1970: TimeInterval(timegm(&t)))
    }

    /// Drops the fractional second, so the in-memory time equals what the database stores.
    static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    private static func utc(_ date: Date) -> tm {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var result = tm()
        gmtime_r(&seconds, &result)
        return result
    }
}
