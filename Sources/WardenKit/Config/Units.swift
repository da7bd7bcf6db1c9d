import Foundation

/// Parsers for the human units used in configs. Pure, so they are tested directly.
public enum Units {
    /// The longest duration a config may give (ten years): far beyond any sane backoff or window, and far
    /// from the range where a jittered delay would overflow `Duration`'s nanoseconds.
    public static let maxDuration: Duration = .seconds(10 * 365 * 86_400)

    /// Prometheus-style durations: `500ms`, `10s`, `5m`, `1h30m`, `2d`; a bare `0` means zero.
    public static func parseDuration(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        var rest = Substring(text)
        var totalMilliseconds: Double = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ms": scale = 1
            case "s": scale = 1_000
            case "m": scale = 60_000
            case "h": scale = 3_600_000
            case "d": scale = 86_400_000
            default: return nil
            }
            totalMilliseconds += value * scale
        }
        guard totalMilliseconds.isFinite, totalMilliseconds < 1e15 else { return nil }
        return .milliseconds(Int64(totalMilliseconds.rounded()))
    }

    /// Sizes: plain bytes, decimal (`KB`, `MB`, `GB`) or binary (`KiB`, `MiB`, `GiB`) units.
    public static func parseByteSize(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        guard !digits.isEmpty, let value = Double(digits), value >= 0 else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let scale: Double
        switch unit {
        case "", "B": scale = 1
        case "KB", "kB": scale = 1e3
        case "MB": scale = 1e6
        case "GB": scale = 1e9
        case "KiB": scale = 1024
        case "MiB": scale = 1_048_576
        case "GiB": scale = 1_073_741_824
        default: return nil
        }
        let bytes = value * scale
        guard bytes < 1e18 else { return nil }
        return Int64(bytes.rounded())
    }

    /// `1 row`, `2 rows`: a count and its noun, for messages (nouns whose plural takes an s).
    public static func counted(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    /// A size in the notation `parseByteSize` reads: the largest unit that holds it exactly (`64KiB`, `10MB`),
    /// else plain bytes.
    public static func formatByteSize(_ bytes: Int64) -> String {
        let units: [(String, Int64)] = [("GiB", 1_073_741_824), ("GB", 1_000_000_000), ("MiB", 1_048_576), ("MB", 1_000_000),
                                        ("KiB", 1024), ("KB", 1000)]
        guard bytes > 0, let (unit, size) = units.first(where: { bytes % $0.1 == 0 }) else { return String(bytes) }
        return "\(bytes / size)\(unit)"
    }

    /// `2m30s`-style rendering for logs and status.
    public static func formatDuration(_ duration: Duration) -> String {
        let totalMs = duration.milliseconds
        if totalMs == 0 { return "0s" }
        if totalMs < 1000 { return "\(totalMs)ms" }
        var seconds = totalMs / 1000
        var parts: [String] = []
        for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60)] where seconds >= size {
            parts.append("\(seconds / size)\(unit)")
            seconds %= size
        }
        let ms = totalMs % 1000
        if seconds > 0 || ms > 0 {
            parts.append(ms > 0 ? "\(seconds).\(String(format: "%03d", ms))s" : "\(seconds)s")
        }
        return parts.joined()
    }
}

extension Duration {
    /// Whole milliseconds, truncated.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Saturates instead of trapping on values beyond ±292 years.
    public static func seconds(double value: Double) -> Duration {
        let nanoseconds = (value * 1e9).rounded()
        guard nanoseconds.isFinite else { return value < 0 ? .zero : .nanoseconds(Int64.max) }
        return .nanoseconds(Int64(max(min(nanoseconds, 9.2e18), -9.2e18)))
    }
}
