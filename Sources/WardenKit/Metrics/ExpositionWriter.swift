import Foundation

/// Writes the Prometheus text format 0.0.4.
///
/// A small writer of our own instead of swift-prometheus: Warden's values are mostly read at scrape time
/// from state it already keeps (a collector pattern), which a registry of long-lived metric objects would
/// duplicate; label values must be escaped (swift-prometheus issue #38); and the output is one String built
/// in one pass, which keeps a scrape well under a millisecond. `promtool check metrics` checks the result.
public struct ExpositionWriter: Sendable {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public private(set) var output = ""

    public init(capacity: Int = 8192) {
        output.reserveCapacity(capacity)
    }

    public struct Sample: Sendable {
        public var labels: [String]
        public var value: Double
        /// `_bucket`, `_sum` or `_count` for histogram samples.
        public var suffix = ""
        /// The `le` label of a histogram bucket.
        public var le: String?

        public init(_ labels: [String], _ value: Double, suffix: String = "", le: String? = nil) {
            self.labels = labels
            self.value = value
            self.suffix = suffix
            self.le = le
        }
    }

    /// One histogram series: cumulative counts per upper bound (without +Inf), the sum and the count.
    public struct HistogramSeries: Sendable {
        public var labels: [String]
        public var buckets: [(le: Double, count: Int)]
        public var sum: Double
        public var count: Int

        public init(labels: [String], buckets: [(le: Double, count: Int)], sum: Double, count: Int) {
            self.labels = labels
            self.buckets = buckets
            self.sum = sum
            self.count = count
        }
    }

    public mutating func write(_ family: MetricFamily, histograms: [HistogramSeries]) {
        write(family, histograms.flatMap { series in
            series.buckets.map { Sample(series.labels, Double($0.count), suffix: "_bucket", le: Self.format($0.le)) }
                + [Sample(series.labels, Double(series.count), suffix: "_bucket", le: "+Inf"),
                   Sample(series.labels, series.sum, suffix: "_sum"), Sample(series.labels, Double(series.count), suffix: "_count")]
        })
    }

    /// Writes one family with its HELP and TYPE lines; a family without samples is left out entirely.
    public mutating func write(_ family: MetricFamily, _ samples: [Sample]) {
        guard !samples.isEmpty else { return }
        output += "# HELP \(family.name) \(Self.escapeHelp(family.help))\n"
        output += "# TYPE \(family.name) \(family.kind.rawValue)\n"
        for sample in samples {
            precondition(sample.labels.count == family.labels.count, "\(family.name): label count mismatch")
            output += family.name
            output += sample.suffix
            if !family.labels.isEmpty || sample.le != nil {
                output += "{"
                for (index, name) in family.labels.enumerated() {
                    if index > 0 { output += "," }
                    output += name
                    output += "=\""
                    output += Self.escapeLabelValue(sample.labels[index])
                    output += "\""
                }
                if let le = sample.le {
                    output += family.labels.isEmpty ? "le=\"" : ",le=\""
                    output += le
                    output += "\""
                }
                output += "}"
            }
            output += " "
            output += Self.format(sample.value)
            output += "\n"
        }
    }

    public mutating func write(_ family: MetricFamily, _ value: Double) {
        write(family, [Sample([], value)])
    }

    /// Label values escape backslash, double quote and newline.
    public static func escapeLabelValue(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var escaped = ""
        escaped.reserveCapacity(value.count + 8)
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// HELP text escapes backslash and newline only.
    public static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
