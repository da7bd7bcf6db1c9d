import CWardenSys
import Foundation

/// Reads the timestamps engines keep: ISO-8601 or SQL text (with `T` or a space, fractions optional, with a
/// zone or without), unix seconds or unix milliseconds. Zone-less text is taken at `defaultOffset` seconds
/// from UTC: 0 unless the config says otherwise (a fixed offset: engines that log local time across a DST
/// change are ambiguous anyway).
///
/// The parser itself is C (`warden_parse_timestamp`): the SQLite probe's `warden_unixtime` calls it once per
/// row inside aggregate queries, 100,000 rows per cycle at the benchmark's high end, and Swift calls the same
/// code for JSON values, so both read every form alike.
public struct TimestampParser: Sendable {
    public let defaultOffset: Int

    public init(defaultOffset: Int = 0) {
        self.defaultOffset = defaultOffset
    }

    public func parse(_ value: SQLValue) -> Double? {
        switch value {
        case .integer(let number): Self.fromNumber(Double(number))
        case .real(let number): Self.fromNumber(number)
        case .text(let text): parse(text: text)
        case .null: nil
        }
    }

    public func parse(_ value: JSONValue) -> Double? {
        switch value {
        case .number(let number): Self.fromNumber(number)
        case .string(let text): parse(text: text)
        default: nil
        }
    }

    /// Numbers above 10^11 are milliseconds: 10^11 seconds is the year 5138, 10^11 ms is 1973. The rule
    /// lives in C with the text grammar, so SQL and Swift apply the same one.
    static func fromNumber(_ value: Double) -> Double? {
        var seconds = 0.0
        return warden_timestamp_from_number(value, &seconds) == 1 ? seconds : nil
    }

    /// The grammar lives in C (`warden_parse_timestamp`), shared with the SQL function `warden_unixtime`.
    public func parse(text: String) -> Double? {
        var text = text
        return text.withUTF8 { bytes in
            var value = 0.0
            let ok = bytes.withMemoryRebound(to: CChar.self) {
                warden_parse_timestamp($0.baseAddress, $0.count, Int32(defaultOffset), &value)
            }
            return ok == 1 ? value : nil
        }
    }

    /// `+08:00`, `-0530`, `Z` or `UTC` as seconds east of UTC, for the config.
    public static func parseOffset(_ text: String) -> Int? {
        if ["Z", "UTC", "z", "utc"].contains(text) { return 0 }
        guard text.hasPrefix("+") || text.hasPrefix("-"),
              let probe = TimestampParser().parse(text: "2000-01-01T00:00:00" + text) else { return nil }
        return 946_684_800 - Int(probe)
    }
}
