import Foundation

/// Writes the Prometheus text format 0.0.4.
///
/// A small writer of our own instead of swift-prometheus: Warden's values are mostly read at scrape time
/// from state it already keeps (a collector pattern), which a registry of long-lived metric objects would
/// duplicate; label values must be escaped (swift-prometheus issue #38); and the output is built in one pass
/// into one byte buffer: a scrape of sixteen engines is about 2,000 lines, and String appends, Character-wise
/// escaping and Foundation's `replacingOccurrences` cost more than everything else a scrape does.
/// `promtool check metrics` checks the result.
public struct ExpositionWriter: Sendable {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The text written so far, as UTF-8.
    public private(set) var bytes: [UInt8] = []

    /// The text written so far.
    public var output: String { String(decoding: bytes, as: UTF8.self) }

    /// Bytes written so far.
    public var count: Int { bytes.count }

    public init(capacity: Int = 8192) {
        bytes.reserveCapacity(capacity)
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
        header(family)
        lines(family, samples)
    }

    /// Writes one family from parts made by `lines(_:_:)`, one per engine say; left out when every part is empty.
    public mutating func write(_ family: MetricFamily, parts: [[UInt8]]) {
        guard parts.contains(where: { !$0.isEmpty }) else { return }
        header(family)
        for part in parts { bytes.append(contentsOf: part) }
    }

    /// The sample lines of a family without its header: a part for `write(_:parts:)`.
    public static func lines(_ family: MetricFamily, _ samples: [Sample]) -> [UInt8] {
        var writer = ExpositionWriter(capacity: samples.count * 80)
        writer.lines(family, samples)
        return writer.bytes
    }

    private mutating func header(_ family: MetricFamily) {
        append("# HELP ")
        append(family.name)
        append(" ")
        appendEscaped(family.help, quotes: false)
        append("\n# TYPE ")
        append(family.name)
        append(" ")
        append(family.kind.rawValue)
        bytes.append(UInt8(ascii: "\n"))
    }

    private mutating func lines(_ family: MetricFamily, _ samples: [Sample]) {
        for sample in samples {
            precondition(sample.labels.count == family.labels.count, "\(family.name): label count mismatch")
            append(family.name)
            append(sample.suffix)
            if !family.labels.isEmpty || sample.le != nil {
                bytes.append(UInt8(ascii: "{"))
                for (index, name) in family.labels.enumerated() {
                    if index > 0 { bytes.append(UInt8(ascii: ",")) }
                    append(name)
                    append("=\"")
                    appendEscaped(sample.labels[index], quotes: true)
                    bytes.append(UInt8(ascii: "\""))
                }
                if let le = sample.le {
                    append(family.labels.isEmpty ? "le=\"" : ",le=\"")
                    append(le)
                    bytes.append(UInt8(ascii: "\""))
                }
                bytes.append(UInt8(ascii: "}"))
            }
            bytes.append(UInt8(ascii: " "))
            appendNumber(sample.value)
            bytes.append(UInt8(ascii: "\n"))
        }
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Label values escape backslash, double quote and newline; HELP text backslash and newline only.
    private mutating func appendEscaped(_ text: String, quotes: Bool) {
        let plain = text.utf8.allSatisfy { $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: "\n") && ($0 != UInt8(ascii: "\"") || !quotes) }
        if plain {
            bytes.append(contentsOf: text.utf8)
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\"") where quotes: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            default: bytes.append(byte)
            }
        }
    }

    /// Whole numbers as integers, digit by digit (most samples are counts); others as Swift prints them.
    private mutating func appendNumber(_ value: Double) {
        guard value == value.rounded(), abs(value) < 1e15 else {
            append(Self.format(value))
            return
        }
        var integer = Int64(value)
        if integer < 0 {
            bytes.append(UInt8(ascii: "-"))
            integer = -integer
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(integer % 10)
                integer /= 10
                count += 1
            } while integer > 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }

    public mutating func write(_ family: MetricFamily, _ value: Double) {
        write(family, [Sample([], value)])
    }

    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
