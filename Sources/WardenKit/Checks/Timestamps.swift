import Foundation

/// Reads the timestamps engines keep: ISO-8601 or SQL text (with `T` or a space, fractions optional, with a
/// zone or without), unix seconds or unix milliseconds. Zone-less text is taken at `defaultOffset` seconds
/// from UTC: 0 unless the config says otherwise (a fixed offset: engines that log local time across a DST
/// change are ambiguous anyway).
///
/// Plain arithmetic rather than Calendar: the SQLite probe calls this once per row inside aggregate
/// queries, 100,000 rows per cycle at the benchmark's high end.
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

    /// Numbers above 10^11 are milliseconds: 10^11 seconds is the year 5138, 10^11 ms is 1973.
    static func fromNumber(_ value: Double) -> Double? {
        guard value.isFinite, value > 0 else { return nil }
        return value >= 1e11 ? value / 1000 : value
    }

    public func parse(text raw: String) -> Double? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if let number = Double(text) { return Self.fromNumber(number) }
        // YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH[:]MM]
        let scalars = Array(text.utf8)
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= scalars.count else { return nil }
            var value = 0
            for byte in scalars[start..<start + count] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard scalars.count >= 16, let year = digits(0, 4), scalars[4] == 45, let month = digits(5, 2), scalars[7] == 45,
              let day = digits(8, 2), scalars[10] == 84 || scalars[10] == 32, let hour = digits(11, 2), scalars[13] == 58,
              let minute = digits(14, 2) else { return nil }
        var index = 16
        var second = 0.0
        if index < scalars.count, scalars[index] == 58 {
            guard let whole = digits(index + 1, 2) else { return nil }
            second = Double(whole)
            index += 3
            if index < scalars.count, scalars[index] == 46 {
                var fraction = 0.0, scale = 0.1
                index += 1
                while index < scalars.count, scalars[index] >= 48, scalars[index] <= 57 {
                    fraction += Double(scalars[index] - 48) * scale
                    scale /= 10
                    index += 1
                }
                second += fraction
            }
        }
        var offset: Int? = nil
        if index < scalars.count {
            switch scalars[index] {
            case 90, 122: offset = 0; index += 1                                   // Z
            case 43, 45:                                                            // + or -
                let sign = scalars[index] == 43 ? 1 : -1
                guard let hours = digits(index + 1, 2) else { return nil }
                var minutes = 0
                var next = index + 3
                if next < scalars.count, scalars[next] == 58 { next += 1 }
                if let value = digits(next, 2) { minutes = value; next += 2 }
                offset = sign * (hours * 3600 + minutes * 60)
                index = next
            default: return nil
            }
        }
        guard index == scalars.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else {
            return nil
        }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let local = Double(days * 86_400 + hour * 3600 + minute * 60) + second
        return local - Double(offset ?? defaultOffset)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// `+08:00`, `-0530`, `Z` or `UTC` as seconds east of UTC, for the config.
    public static func parseOffset(_ text: String) -> Int? {
        if ["Z", "UTC", "z", "utc"].contains(text) { return 0 }
        guard let probe = TimestampParser().parse(text: "1970-01-01T00:00:00" + text) else { return nil }
        return Int(-probe)
    }
}
